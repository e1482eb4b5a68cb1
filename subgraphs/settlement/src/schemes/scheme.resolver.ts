import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { JSONScalar, type SubgraphContext } from '@citypoints/federation';
import { requireRole } from '@citypoints/auth';
import { db } from '../context';
import { PointsScheme, SchemeKind } from './scheme.type';
import { publishScheme, schemeInForce } from './scheme.service';

@Resolver(() => PointsScheme)
export class SchemeResolver {
  @Authorized()
  @Query(() => PointsScheme, { nullable: true, description: 'the scheme in force for the year: the latest version of the latest scheme year not after it' })
  pointsScheme(@Arg('kind', () => SchemeKind) kind: SchemeKind, @Arg('year', () => Int) year: number): Promise<PointsScheme | null> {
    return schemeInForce(db(), kind, year);
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => PointsScheme, { description: 'a new version for the year, from a definition in the shape of SCHEME_FORMAT.md' })
  publishPointsScheme(
    @Arg('kind', () => SchemeKind) kind: SchemeKind,
    @Arg('code') code: string,
    @Arg('year', () => Int) year: number,
    @Arg('definition', () => JSONScalar) definition: unknown,
    @Ctx() ctx: SubgraphContext,
  ): Promise<PointsScheme> {
    return publishScheme(requireRole(ctx.caller, 'CITY_ADMIN'), kind, code, year, definition);
  }
}
