import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum TalentCategory {
  INVESTMENT_TAX = 'INVESTMENT_TAX',
  ACADEMIC_SKILL = 'ACADEMIC_SKILL',
  ENTERPRISE_RECOMMENDED = 'ENTERPRISE_RECOMMENDED',
}
registerEnumType(TalentCategory, { name: 'TalentCategory' });

@ObjectType()
export class TalentCard {
  @Field(() => ID) cardNo: string;
  @Field(() => TalentCategory) category: TalentCategory;
  @Field(() => Int) year: number;
  @Field() status: string;
  @Field(() => [String]) benefits: string[];
  holderId: string;
}

@ObjectType({ description: 'a category’s share of a year’s quota and how much of it is used' })
export class TalentQuotaShare {
  @Field(() => TalentCategory) category: TalentCategory;
  @Field(() => Int) sharePercent: number;
  @Field(() => Int) share: number;
  @Field(() => Int) issued: number;
}

@ObjectType()
export class TalentQuota {
  @Field(() => Int) year: number;
  @Field(() => Int) total: number;
  @Field(() => [TalentQuotaShare]) shares: TalentQuotaShare[];
}
