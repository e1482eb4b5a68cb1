import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@Directive('@key(fields: "uscc")')
@ObjectType('Enterprise')
export class Enterprise {
  @Field(() => ID) uscc: string;
  @Field() name: string;
  @Field(() => String, { nullable: true }) industry: string | null;
  @Field(() => Int, { nullable: true }) employees: number | null;
  divisionCode: string;
}

@InputType()
export class RegisterEnterpriseInput {
  @Field() uscc: string;
  @Field() name: string;
  @Field(() => ID) divisionCode: string;
  @Field(() => String, { nullable: true }) industry?: string | null;
  @Field(() => Int, { nullable: true }) employees?: number | null;
}
