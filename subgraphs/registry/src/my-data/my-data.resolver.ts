import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { JSONScalar } from '@citypoints/federation';
import type { Ctx as Context } from '../runtime';
import { myData } from './my-data.service';

@Resolver()
export class MyDataResolver {
  @Authorized()
  @Query(() => JSONScalar, { description: 'RESIDENT: everything each subgraph holds about the caller, and every audited read of it (docs/my-data.md)' })
  myData(@Ctx() ctx: Context): Promise<Record<string, unknown>> {
    return myData(ctx.rt, ctx.caller);
  }
}
