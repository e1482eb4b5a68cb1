import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireCaller, requireRole } from '@citypoints/auth';
import type { SubgraphContext } from '@citypoints/federation';
import { EnterpriseRef } from '../enterprises/enterprise.reference';
import { AlertStatus, AlertWebhook, RiskAlert, RiskAlertConnection, WebhookDeliveryConnection } from './alert.type';
import { acknowledgeRiskAlert, escalateOverdueAlerts, resolveRiskAlert, riskAlerts } from './alert.service';
import { deadLetterDeliveries, registerAlertWebhook } from './webhook.service';

@Resolver(() => RiskAlert)
export class AlertResolver {
  @Authorized()
  @Query(() => RiskAlertConnection)
  riskAlerts(
    @Ctx() ctx: SubgraphContext,
    @Arg('status', () => AlertStatus, { nullable: true }) status?: AlertStatus | null,
    @Arg('divisionCode', () => ID, { nullable: true }) divisionCode?: string | null,
    @Arg('first', () => Int, { nullable: true }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<RiskAlertConnection> {
    return riskAlerts(ctx.caller, { status, divisionCode, first, after });
  }

  @Authorized('CITY_ADMIN')
  @Query(() => WebhookDeliveryConnection, { description: 'webhook calls that failed every attempt' })
  deadLetterDeliveries(
    @Ctx() ctx: SubgraphContext,
    @Arg('first', () => Int, { nullable: true }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<WebhookDeliveryConnection> {
    return deadLetterDeliveries(requireCaller(ctx.caller), first, after);
  }

  @FieldResolver(() => EnterpriseRef)
  enterprise(@Root() a: RiskAlert): EnterpriseRef {
    return { uscc: a.uscc };
  }

  @Authorized('REGULATOR')
  @Mutation(() => RiskAlert)
  acknowledgeRiskAlert(@Arg('id', () => ID) id: string, @Ctx() ctx: SubgraphContext, @Arg('note', () => String, { nullable: true }) note?: string | null): Promise<RiskAlert> {
    return acknowledgeRiskAlert(requireCaller(ctx.caller), id, note);
  }

  @Authorized('REGULATOR')
  @Mutation(() => RiskAlert)
  resolveRiskAlert(@Arg('id', () => ID) id: string, @Arg('outcome') outcome: string, @Ctx() ctx: SubgraphContext): Promise<RiskAlert> {
    return resolveRiskAlert(requireCaller(ctx.caller), id, outcome);
  }

  @Authorized('REGULATOR')
  @Mutation(() => AlertWebhook)
  registerAlertWebhook(@Arg('url') url: string, @Arg('secret') secret: string, @Arg('divisionCode', () => ID) divisionCode: string, @Ctx() ctx: SubgraphContext): Promise<AlertWebhook> {
    return registerAlertWebhook(requireCaller(ctx.caller), url, secret, divisionCode);
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => Int, { description: 'escalates open alerts past their time now (the scheduled job does it every few minutes); returns how many' })
  escalateOverdueRiskAlerts(@Ctx() ctx: SubgraphContext): Promise<number> {
    requireRole(ctx.caller, 'CITY_ADMIN');
    return escalateOverdueAlerts();
  }
}
