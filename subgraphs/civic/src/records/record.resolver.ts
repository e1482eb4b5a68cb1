import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { loader } from '@citypoints/federation';
import type { Ctx as Context } from '../runtime';
import { BehaviourItem } from '../items/item.type';
import { itemsByKey } from '../items/item.service';
import { versionByNumber } from '@citypoints/schemes';
import { CivicRuleSet } from '../rules/rules.resolver';
import { ruleSets } from '../rules/rules.service';
import { CivicRecord, RecordStep, RegisterCivicRecordInput } from './record.type';
import { approveRecord, objectToRecord, publiciseRecord, recordById, recordSteps, registerRecord, reviewRecord } from './record.service';

@Resolver(() => CivicRecord)
export class CivicRecordResolver {
  @FieldResolver(() => CivicRuleSet, { nullable: true, description: 'the civic rules as they were in the version the credited points were computed under' })
  async rules(@Root() r: CivicRecord, @Ctx() ctx: Context): Promise<CivicRuleSet | null> {
    if (r.rulesVersion == null) return null;
    const v = await versionByNumber(ruleSets, ctx.rt.ds, r.rulesVersion);
    return v && Object.assign(new CivicRuleSet(), { version: v.version, effectiveFrom: v.effectiveFrom, definition: v.definition });
  }

  @Authorized()
  @Query(() => CivicRecord, { nullable: true })
  civicRecord(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<CivicRecord | null> {
    return recordById(ctx.rt, ctx.caller, id);
  }

  @FieldResolver(() => BehaviourItem)
  item(@Root() r: CivicRecord, @Ctx() ctx: Context): Promise<BehaviourItem> {
    return loader<string, BehaviourItem>(ctx, 'behaviourItemByKey', async (keys) => {
      const byKey = await itemsByKey(ctx.rt.ds.manager, keys.map((k) => ({ scope: k.split('/')[0], code: k.split('/')[1] })));
      return keys.map((k) => byKey.get(k) ?? new Error(`behaviour item ${k} not found`));
    }).load(`${r.itemScope}/${r.itemCode}`);
  }

  @FieldResolver(() => [RecordStep], { nullable: true, description: 'who did which step, in order; null in the public view of a record in publicity' })
  async steps(@Root() r: CivicRecord, @Ctx() ctx: Context): Promise<RecordStep[] | null> {
    return r.view === 'FULL' ? recordSteps(ctx.rt, r.id) : null;
  }

  @Authorized('VILLAGE_REGISTRAR')
  @Mutation(() => CivicRecord)
  registerCivicRecord(@Arg('input') input: RegisterCivicRecordInput, @Ctx() ctx: Context): Promise<CivicRecord> {
    return registerRecord(ctx.rt, ctx.caller, input);
  }

  @Authorized('VILLAGE_REVIEWER')
  @Mutation(() => CivicRecord, { description: 'reviews a registered record, or rules on an objection (approve: dismiss it)' })
  reviewCivicRecord(@Arg('id', () => ID) id: string, @Arg('approve') approve: boolean, @Arg('note', () => String, { nullable: true }) note: string | null, @Ctx() ctx: Context) {
    return reviewRecord(ctx.rt, ctx.caller, id, approve, note);
  }

  @Authorized('PUBLICITY_CLERK')
  @Mutation(() => CivicRecord)
  publiciseCivicRecord(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return publiciseRecord(ctx.rt, ctx.caller, id);
  }

  @Authorized('RESIDENT')
  @Mutation(() => CivicRecord)
  objectToCivicRecord(@Arg('id', () => ID) id: string, @Arg('reason') reason: string, @Ctx() ctx: Context) {
    return objectToRecord(ctx.rt, ctx.caller, id, reason);
  }

  @Authorized('TOWN_REVIEWER')
  @Mutation(() => CivicRecord)
  approveCivicRecord(@Arg('id', () => ID) id: string, @Arg('approve') approve: boolean, @Arg('note', () => String, { nullable: true }) note: string | null, @Ctx() ctx: Context) {
    return approveRecord(ctx.rt, ctx.caller, id, approve, note);
  }
}
