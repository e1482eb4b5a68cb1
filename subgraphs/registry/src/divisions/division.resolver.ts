import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { CreateDivisionInput, Division } from './division.type';
import { createDivision, divisionLoader, listDivisions } from './division.service';

@Resolver(() => Division)
export class DivisionResolver {
  @Authorized()
  @Query(() => Division, { nullable: true })
  division(@Arg('code', () => ID) code: string, @Ctx() ctx: Context): Promise<Division | null> {
    return divisionLoader(ctx).load(code);
  }

  @Authorized()
  @Query(() => [Division], { description: 'children of parentCode; without it, the city' })
  divisions(@Ctx() ctx: Context, @Arg('parentCode', () => ID, { nullable: true }) parentCode?: string): Promise<Division[]> {
    return listDivisions(ctx.rt, parentCode);
  }

  @FieldResolver(() => Division, { nullable: true })
  parent(@Root() d: Division, @Ctx() ctx: Context): Promise<Division | null> | null {
    return d.parentCode ? divisionLoader(ctx).load(d.parentCode) : null;
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => Division)
  createDivision(@Arg('input') input: CreateDivisionInput, @Ctx() ctx: Context): Promise<Division> {
    return createDivision(ctx.rt, input);
  }
}

export const divisionReference = {
  __resolveReference: (ref: { code: string }, ctx: Context) => divisionLoader(ctx).load(ref.code),
};
