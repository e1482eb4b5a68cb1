import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum SchoolGrade {
  PRIMARY_1 = 'PRIMARY_1',
  JUNIOR_1 = 'JUNIOR_1',
}
registerEnumType(SchoolGrade, { name: 'SchoolGrade' });

@ObjectType()
export class School {
  @Field(() => ID) id: string;
  @Field() name: string;
  townCode: string;
}

@InputType()
export class SchoolSeatsInput {
  @Field(() => Int) year: number;
  @Field(() => SchoolGrade) grade: SchoolGrade;
  @Field(() => Int) seats: number;
}

@InputType()
export class UpsertSchoolInput {
  @Field(() => ID, { nullable: true }) id?: string | null;
  @Field() name: string;
  @Field(() => ID) townCode: string;
  @Field(() => [SchoolSeatsInput]) seats: SchoolSeatsInput[];
}
