import { Arg, ID, Query, Resolver } from 'type-graphql';
import { Ctx } from '../runtime';
import { admissionLookup } from './lookup.service';
import { AdmissionLookup } from './lookup.type';

@Resolver(() => AdmissionLookup)
export class AdmissionLookupResolver {
  @Query(() => AdmissionLookup, {
    nullable: true,
    description:
      'public: a parent looks up their school application with its number and the last 6 characters of the child’s ID number; null when the pair does not match an application (whether or not the number exists); RATE_LIMITED when a client address or an application number has been tried too often',
  })
  admissionLookup(@Arg('applicationNo', () => ID) applicationNo: string, @Arg('idNumberLast6') idNumberLast6: string, @Ctx() ctx: Ctx): Promise<AdmissionLookup | null> {
    return admissionLookup(ctx, applicationNo, idNumberLast6);
  }
}
