import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '@citypoints/federation';
import { requireRole } from '@citypoints/auth';
import { DivisionRef, divisionRef } from '../divisions/division.ref';
import { School, SchoolGrade, UpsertSchoolInput } from './school.type';
import { listSchools, seatsLoader, upsertSchool } from './school.service';

@Resolver(() => School)
export class SchoolResolver {
  @Authorized()
  @Query(() => [School])
  schools(@Arg('townCode', () => ID) townCode: string): Promise<School[]> {
    return listSchools(townCode);
  }

  @FieldResolver(() => DivisionRef)
  division(@Root() s: School): DivisionRef {
    return divisionRef(s.townCode);
  }

  @FieldResolver(() => Int, { description: 'seats open to points admission' })
  seats(@Root() s: School, @Arg('year', () => Int) year: number, @Arg('grade', () => SchoolGrade) grade: SchoolGrade, @Ctx() ctx: SubgraphContext): Promise<number> {
    return seatsLoader(ctx).load(`${s.id}|${year}|${grade}`);
  }

  @Authorized('CITY_ADMIN', 'TOWN_OFFICIAL', 'EDUCATION_OFFICER')
  @Mutation(() => School)
  upsertSchool(@Arg('input') input: UpsertSchoolInput, @Ctx() ctx: SubgraphContext): Promise<School> {
    return upsertSchool(requireRole(ctx.caller, 'CITY_ADMIN', 'TOWN_OFFICIAL', 'EDUCATION_OFFICER'), input);
  }
}
