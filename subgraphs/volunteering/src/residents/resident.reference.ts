import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** registry's Resident, extended here with the volunteer profile. */
@Directive('@key(fields: "id")')
@ObjectType('Resident')
export class ResidentRef {
  @Field(() => ID) id: string;
}

/** registry's Division, referenced by needs; volunteering adds nothing to it. */
@Directive('@key(fields: "code", resolvable: false)')
@ObjectType('Division')
export class DivisionRef {
  @Field(() => ID) code: string;
}

export const residentRef = (id: string | null): ResidentRef | null => (id ? Object.assign(new ResidentRef(), { id }) : null);
export const divisionRef = (code: string): DivisionRef => Object.assign(new DivisionRef(), { code });

export const residentReference = {
  __resolveReference: (ref: { id: string }) => residentRef(ref.id),
};
