import { Arg, Authorized, Int, Mutation, Query, Resolver } from 'type-graphql';
import { JSONScalar } from '@citypoints/federation';
import { requireRole } from '@citypoints/auth';
import { PointsScheme, SchemeKind } from './scheme.type';
import { publishScheme, schemeHistory, schemeInForce } from './scheme.service';
import { Ctx } from '../runtime';

@Resolver(() => PointsScheme)
export class SchemeResolver {
  @Authorized()
  @Query(() => PointsScheme, { nullable: true, description: 'the scheme in force for the year: the latest version of the latest scheme year not after it' })
  pointsScheme(@Arg('kind', () => SchemeKind) kind: SchemeKind, @Arg('year', () => Int) year: number, @Ctx() ctx: Ctx): Promise<PointsScheme | null> {
    return schemeInForce(ctx.rt.ds, kind, year);
  }

  @Authorized()
  @Query(() => [PointsScheme], { description: 'every published version of a kind (of one code, when given), newest in force first; old versions keep explaining old scores' })
  pointsSchemeHistory(
    @Arg('kind', () => SchemeKind) kind: SchemeKind,
    @Arg('code', () => String, { nullable: true }) code: string | null,
    @Ctx() ctx: Ctx,
  ): Promise<PointsScheme[]> {
    return schemeHistory(ctx.rt.ds, kind, code);
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => PointsScheme, { description: 'a new version for the year, from a definition in the shape of SCHEME_FORMAT.md' })
  publishPointsScheme(
    @Arg('kind', () => SchemeKind) kind: SchemeKind,
    @Arg('code') code: string,
    @Arg('year', () => Int) year: number,
    @Arg('definition', () => JSONScalar) definition: unknown,
    @Ctx() ctx: Ctx,
  ): Promise<PointsScheme> {
    return publishScheme(ctx.rt, requireRole(ctx.caller, 'CITY_ADMIN'), kind, code, year, definition);
  }
}
