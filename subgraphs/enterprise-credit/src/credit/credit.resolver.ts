import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireCaller } from '@citypoints/auth';
import type { Ctx as Context } from '../runtime';
import { EnterpriseRef } from '../enterprises/enterprise.reference';
import { CreditCheck, CreditListPublication, CreditRecord, CreditRecordInput, RestrictedDomain } from './credit.type';
import { creditCheck, recordCreditEvent, repairCreditRecord } from './credit.service';
import { creditListPublication, publishCreditLists } from './credit.lists';

@ArgsType()
class RepairArgs {
  @Field(() => ID) recordId: string;
  @Field() approve: boolean;
  @Field(() => String, { nullable: true }) note?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'early removal of a wage-arrears blacklisting: the wages are paid' }) wagesPaid?: boolean | null;
  @Field(() => Boolean, { nullable: true, description: 'early removal of a wage-arrears blacklisting: a good-faith pledge is signed' }) pledgeSigned?: boolean | null;
}

@Resolver()
export class CreditResolver {
  @Authorized()
  @Query(() => CreditCheck)
  creditCheck(@Arg('uscc', () => ID) uscc: string, @Arg('domain', () => RestrictedDomain) domain: RestrictedDomain, @Ctx() ctx: Context): Promise<CreditCheck> {
    return creditCheck(ctx, uscc, domain);
  }

  @Authorized()
  @Query(() => CreditListPublication, { nullable: true })
  creditListPublication(@Arg('period') period: string, @Ctx() ctx: Context): Promise<CreditListPublication | null> {
    return creditListPublication(ctx.rt, ctx.caller, period);
  }

  @Authorized('DATA_FEED')
  @Mutation(() => CreditRecord)
  recordCreditEvent(@Arg('input') input: CreditRecordInput, @Ctx() ctx: Context): Promise<CreditRecord> {
    return recordCreditEvent(ctx.rt, requireCaller(ctx.caller), input);
  }

  @Authorized('DATA_FEED')
  @Mutation(() => CreditRecord)
  repairCreditRecord(@Args() a: RepairArgs, @Ctx() ctx: Context): Promise<CreditRecord> {
    return repairCreditRecord(ctx.rt, requireCaller(ctx.caller), a);
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => CreditListPublication)
  publishCreditLists(@Arg('period') period: string, @Ctx() ctx: Context): Promise<CreditListPublication> {
    return publishCreditLists(ctx.rt, requireCaller(ctx.caller), period);
  }
}

@Resolver(() => CreditListPublication)
export class CreditListResolver {
  @FieldResolver(() => [EnterpriseRef])
  red(@Root() p: CreditListPublication): EnterpriseRef[] {
    return p.redUsccs.map((uscc) => ({ uscc }));
  }

  @FieldResolver(() => [EnterpriseRef])
  black(@Root() p: CreditListPublication): EnterpriseRef[] {
    return p.blackUsccs.map((uscc) => ({ uscc }));
  }
}
