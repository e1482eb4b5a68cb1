import { Ctx, Directive, Field, FieldResolver, ID, ObjectType, Resolver, Root } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { EnterpriseCredit } from '../credit/credit.type';
import { creditLoader } from '../credit/credit.service';
import { LabourRisk } from '../labour/labour.type';
import { labourRiskLoader } from '../labour/labour.service';

/** registry's Enterprise, extended with its credit and labour risk. */
@Directive('@key(fields: "uscc")')
@ObjectType('Enterprise')
export class EnterpriseRef {
  @Field(() => ID) uscc: string;
}

@Resolver(() => EnterpriseRef)
export class EnterpriseCreditResolver {
  @FieldResolver(() => EnterpriseCredit)
  credit(@Root() e: EnterpriseRef, @Ctx() ctx: Context): Promise<EnterpriseCredit> {
    return creditLoader(ctx).load(e.uscc);
  }

  @FieldResolver(() => LabourRisk, { nullable: true })
  labourRisk(@Root() e: EnterpriseRef, @Ctx() ctx: Context): Promise<LabourRisk | null> {
    return labourRiskLoader(ctx).load(e.uscc);
  }
}

export const enterpriseReference = {
  __resolveReference: (ref: { uscc: string }): EnterpriseRef => ({ uscc: ref.uscc }),
};
