import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireRole } from '@citypoints/auth';
import { DivisionRef, divisionRef } from '../divisions/division.ref';
import { School, SchoolGrade, UpsertSchoolInput } from './school.type';
import { listSchools, seatsLoader, upsertSchool } from './school.service';
import { Ctx } from '../runtime';

@Resolver(() => School)
export class SchoolResolver {
  @Authorized()
  @Query(() => [School])
  schools(@Arg('townCode', () => ID) townCode: string, @Ctx() ctx: Ctx): Promise<School[]> {
    return listSchools(ctx.rt, townCode);
  }

  @FieldResolver(() => DivisionRef)
  division(@Root() s: School): DivisionRef {
    return divisionRef(s.townCode);
  }

  @FieldResolver(() => Int, { description: 'seats open to points admission' })
  seats(@Root() s: School, @Arg('year', () => Int) year: number, @Arg('grade', () => SchoolGrade) grade: SchoolGrade, @Ctx() ctx: Ctx): Promise<number> {
    return seatsLoader(ctx).load(`${s.id}|${year}|${grade}`);
  }

  @Authorized('CITY_ADMIN', 'TOWN_OFFICIAL', 'EDUCATION_OFFICER')
  @Mutation(() => School)
  upsertSchool(@Arg('input') input: UpsertSchoolInput, @Ctx() ctx: Ctx): Promise<School> {
    return upsertSchool(ctx.rt, requireRole(ctx.caller, 'CITY_ADMIN', 'TOWN_OFFICIAL', 'EDUCATION_OFFICER'), input);
  }
}
