import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Registry's Resident, extended here with `settlement`. */
@Directive('@key(fields: "id")')
@ObjectType('Resident')
export class ResidentRef {
  @Field(() => ID) id: string;
}
