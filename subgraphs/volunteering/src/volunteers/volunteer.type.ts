import { Field, Float, Int, ObjectType } from 'type-graphql';
import { ResidentRef } from '../residents/resident.reference';

@ObjectType({ description: 'a resident as a volunteer: lifetime hours, spendable points and stars' })
export class VolunteerProfile {
  residentId: string;
  @Field(() => ResidentRef) resident: ResidentRef;
  @Field() registered: boolean;
  @Field(() => [String]) skills: string[];
  @Field(() => Float, { description: 'lifetime credited hours, administrator-entered hours included; kept forever' }) hours: number;
  @Field(() => Float, { description: 'the part of hours entered by an administrator (counts for stars, earns no points)' }) administratorHours: number;
  @Field(() => Int, { description: 'spendable points: unexpired lots' }) points: number;
  @Field(() => Int) stars: number;
  @Field(() => Float, { nullable: true, description: 'lifetime hours at which the next star comes; null at the top' }) nextStarAt: number | null;
  @Field(() => Int, { description: 'the scheme version the stars were computed with' }) schemeVersion: number;
}

@ObjectType('VolunteerAwardLine', { description: 'one line of an award: how the hours and points came about' })
export class AwardLine {
  @Field() label: string;
  @Field(() => Float) value: number;
  @Field(() => String, { nullable: true }) note: string | null;
}

@ObjectType('VolunteerHoursRecord', { description: 'hours credited to a volunteer and the points they earned, with the scheme version that decided them' })
export class HoursRecord {
  @Field() source: string;
  @Field(() => Float) reportedHours: number;
  @Field(() => Float) creditedHours: number;
  @Field(() => Int) points: number;
  @Field(() => Int) escrowPoints: number;
  @Field() schemeCode: string;
  @Field(() => Int) schemeVersion: number;
  @Field(() => [AwardLine]) lines: AwardLine[];
  @Field() at: Date;
}
