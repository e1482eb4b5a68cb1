import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Registry's Division, named by its key; the gateway fetches its other fields from registry. */
@Directive('@key(fields: "code", resolvable: false)')
@ObjectType('Division')
export class DivisionRef {
  @Field(() => ID) code: string;
}

export const divisionRef = (code: string): DivisionRef => ({ code });
