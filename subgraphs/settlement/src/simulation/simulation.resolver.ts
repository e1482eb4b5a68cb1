import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { JSONScalar } from '@citypoints/federation';
import { badInput } from '@citypoints/kit';
import { SchemeKind } from '../schemes/scheme.type';
import { School } from '../schools/school.type';
import { schoolLoader } from '../schools/school.service';
import { Ctx } from '../runtime';
import { requestSimulation, schemeSimulation, MOVERS_KEPT } from './simulation.service';
import { CutoffChange, SchemeSimulation, SimulationMover } from './simulation.type';

@Resolver(() => SchemeSimulation)
export class SchemeSimulationResolver {
  @Authorized()
  @Query(() => SchemeSimulation, { nullable: true, description: 'a what-if simulation: its progress and, once completed, what the draft scheme would change' })
  schemeSimulation(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx): Promise<SchemeSimulation | null> {
    return schemeSimulation(ctx.rt, ctx.caller, id);
  }

  @Authorized()
  @Mutation(() => SchemeSimulation, { description: 'queues a simulation of a draft scheme over the year’s applications (of the town, or city-wide); live data is never changed' })
  simulatePointsScheme(
    @Arg('kind', () => SchemeKind) kind: SchemeKind,
    @Arg('year', () => Int) year: number,
    @Arg('definition', () => JSONScalar) definition: unknown,
    @Arg('townCode', () => ID, { nullable: true }) townCode: string | null,
    @Ctx() ctx: Ctx,
  ): Promise<SchemeSimulation> {
    return requestSimulation(ctx.rt, ctx.caller, kind, year, definition, townCode);
  }

  @FieldResolver(() => [SimulationMover], { description: 'the largest movers first: points moved, then ranks moved' })
  movers(@Root() s: SchemeSimulation, @Arg('first', () => Int, { nullable: true }) first: number | null): SimulationMover[] {
    const n = first ?? 20;
    if (!Number.isInteger(n) || n < 0 || n > MOVERS_KEPT) throw badInput(`first must be 0..${MOVERS_KEPT}`, { field: 'first' });
    return s.moverList.slice(0, n);
  }
}

@Resolver(() => SimulationMover)
export class SimulationMoverResolver {
  @FieldResolver(() => School, { nullable: true })
  placementBefore(@Root() m: SimulationMover, @Ctx() ctx: Ctx): Promise<School | null> | null {
    return m.placementBeforeId ? schoolLoader(ctx).load(m.placementBeforeId) : null;
  }

  @FieldResolver(() => School, { nullable: true })
  placementAfter(@Root() m: SimulationMover, @Ctx() ctx: Ctx): Promise<School | null> | null {
    return m.placementAfterId ? schoolLoader(ctx).load(m.placementAfterId) : null;
  }
}

@Resolver(() => CutoffChange)
export class CutoffChangeResolver {
  @FieldResolver(() => School)
  async school(@Root() c: CutoffChange, @Ctx() ctx: Ctx): Promise<School> {
    return (await schoolLoader(ctx).load(c.schoolId))!;
  }
}
