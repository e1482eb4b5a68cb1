import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Registry's resident, extended here with the civic card; civic only knows its key. */
@Directive('@key(fields: "id")')
@ObjectType('Resident')
export class ResidentRef {
  @Field(() => ID) id: string;
}

export const residentRef = (id: string): ResidentRef => Object.assign(new ResidentRef(), { id });
