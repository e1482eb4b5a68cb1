import { Field, Float, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'a version of the time-bank rules; old versions keep explaining old awards' })
export class VolunteerScheme {
  @Field() code: string;
  @Field(() => Int) version: number;
  @Field() effectiveFrom: Date;
  @Field(() => Int) pointsPerHour: number;
  @Field(() => Float) maxCreditedHoursPerService: number;
  @Field(() => [Float], { description: 'lifetime hours for 1, 2, … stars' }) starThresholds: number[];
  @Field(() => Int, { description: 'validity of points earned; applies to points accounts opened while the version is in force' }) pointValidityMonths: number;
  @Field(() => Float) autoConfirmHours: number;
  @Field(() => Float) backupGraceMinutes: number;
}

@InputType()
export class VolunteerSchemeRulesInput {
  @Field(() => Int) pointsPerHour: number;
  @Field(() => Float) maxCreditedHoursPerService: number;
  @Field(() => [Float]) starThresholds: number[];
  @Field(() => Int) pointValidityMonths: number;
  @Field(() => Float) autoConfirmHours: number;
  @Field(() => Float) backupGraceMinutes: number;
}
