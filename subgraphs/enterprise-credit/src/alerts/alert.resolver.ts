import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireCaller, requireRole } from '@citypoints/auth';
import type { Ctx as Context } from '../runtime';
import { EnterpriseRef } from '../enterprises/enterprise.reference';
import { AlertStatus, AlertWebhook, RiskAlert, RiskAlertConnection, WebhookDeliveryConnection } from './alert.type';
import { acknowledgeRiskAlert, escalateOverdueAlerts, resolveRiskAlert, riskAlerts } from './alert.service';
import { deadLetterDeliveries, registerAlertWebhook } from './webhook.service';

@Resolver(() => RiskAlert)
export class AlertResolver {
  @Authorized()
  @Query(() => RiskAlertConnection)
  riskAlerts(
    @Ctx() ctx: Context,
    @Arg('status', () => AlertStatus, { nullable: true }) status?: AlertStatus | null,
    @Arg('divisionCode', () => ID, { nullable: true }) divisionCode?: string | null,
    @Arg('first', () => Int, { nullable: true }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<RiskAlertConnection> {
    return riskAlerts(ctx.rt, ctx.caller, { status, divisionCode, first, after });
  }

  @Authorized('CITY_ADMIN')
  @Query(() => WebhookDeliveryConnection, { description: 'webhook calls that failed every attempt' })
  deadLetterDeliveries(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<WebhookDeliveryConnection> {
    return deadLetterDeliveries(ctx.rt, requireCaller(ctx.caller), first, after);
  }

  @FieldResolver(() => EnterpriseRef)
  enterprise(@Root() a: RiskAlert): EnterpriseRef {
    return { uscc: a.uscc };
  }

  @Authorized('REGULATOR')
  @Mutation(() => RiskAlert)
  acknowledgeRiskAlert(@Arg('id', () => ID) id: string, @Ctx() ctx: Context, @Arg('note', () => String, { nullable: true }) note?: string | null): Promise<RiskAlert> {
    return acknowledgeRiskAlert(ctx.rt, requireCaller(ctx.caller), id, note);
  }

  @Authorized('REGULATOR')
  @Mutation(() => RiskAlert)
  resolveRiskAlert(@Arg('id', () => ID) id: string, @Arg('outcome') outcome: string, @Ctx() ctx: Context): Promise<RiskAlert> {
    return resolveRiskAlert(ctx.rt, requireCaller(ctx.caller), id, outcome);
  }

  @Authorized('REGULATOR')
  @Mutation(() => AlertWebhook)
  registerAlertWebhook(@Arg('url') url: string, @Arg('secret') secret: string, @Arg('divisionCode', () => ID) divisionCode: string, @Ctx() ctx: Context): Promise<AlertWebhook> {
    return registerAlertWebhook(ctx.rt, requireCaller(ctx.caller), url, secret, divisionCode);
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => Int, { description: 'escalates open alerts past their time now (the scheduled job does it every few minutes); returns how many' })
  escalateOverdueRiskAlerts(@Ctx() ctx: Context): Promise<number> {
    requireRole(ctx.caller, 'CITY_ADMIN');
    return escalateOverdueAlerts(ctx.rt);
  }
}
