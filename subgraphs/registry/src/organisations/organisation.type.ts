import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';

export enum SocialOrganisationKind {
  CHAMBER_OF_COMMERCE = 'CHAMBER_OF_COMMERCE',
  INDUSTRY_ASSOCIATION = 'INDUSTRY_ASSOCIATION',
  PRIVATE_NON_ENTERPRISE = 'PRIVATE_NON_ENTERPRISE',
  FOUNDATION = 'FOUNDATION',
}
registerEnumType(SocialOrganisationKind, { name: 'SocialOrganisationKind' });

@Directive('@key(fields: "uscc")')
@ObjectType('SocialOrganisation')
export class SocialOrganisation {
  @Field(() => ID) uscc: string;
  @Field() name: string;
  @Field(() => SocialOrganisationKind) kind: SocialOrganisationKind;
  divisionCode: string;
}

@InputType()
export class RegisterSocialOrganisationInput {
  @Field() uscc: string;
  @Field() name: string;
  @Field(() => SocialOrganisationKind) kind: SocialOrganisationKind;
  @Field(() => ID) divisionCode: string;
}
