import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'divisions' })
export class DivisionRow {
  @PrimaryColumn('text') code: string;
  @Column('text') name: string;
  @Column('text') level: 'CITY' | 'TOWN' | 'VILLAGE';
  @Column('text', { name: 'parent_code', nullable: true }) parentCode: string | null;
}

@Entity({ name: 'residents' })
export class ResidentRow {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text', { name: 'id_number', unique: true }) idNumber: string;
  @Column('text') name: string;
  @Column('date', { name: 'birth_date' }) birthDate: string;
  @Column('text') hukou: 'LOCAL' | 'MIGRANT';
  @Column('text', { name: 'division_code' }) divisionCode: string;
  @Column('text', { name: 'household_id', nullable: true }) householdId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity({ name: 'enterprises' })
export class EnterpriseRow {
  @PrimaryColumn('text') uscc: string;
  @Column('text') name: string;
  @Column('text', { name: 'division_code' }) divisionCode: string;
  @Column('text', { nullable: true }) industry: string | null;
  @Column('int', { nullable: true }) employees: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

@Entity({ name: 'social_organisations' })
export class SocialOrganisationRow {
  @PrimaryColumn('text') uscc: string;
  @Column('text') name: string;
  @Column('text') kind: string;
  @Column('text', { name: 'division_code' }) divisionCode: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

@Entity({ name: 'organisation_members' })
export class OrganisationMemberRow {
  @PrimaryColumn('text', { name: 'organisation_uscc' }) organisationUscc: string;
  @PrimaryColumn('text', { name: 'enterprise_uscc' }) enterpriseUscc: string;
  @CreateDateColumn({ name: 'joined_at', type: 'timestamptz' }) joinedAt: Date;
}

export const registryEntities = [DivisionRow, ResidentRow, EnterpriseRow, SocialOrganisationRow, OrganisationMemberRow];
