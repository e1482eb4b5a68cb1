import { parseArgs } from 'node:util';
import { env } from '@citypoints/config';
import { mintToken, Roles, type Role } from '@citypoints/auth';

/** `npm run token -- --role CITY_ADMIN [--sub id] [--division code] [--department name] [--expires 12h]` */
async function main() {
  const { values } = parseArgs({
    options: {
      role: { type: 'string', multiple: true, default: ['CITY_ADMIN'] },
      sub: { type: 'string', default: 'dev-admin' },
      division: { type: 'string' },
      department: { type: 'string' },
      purpose: { type: 'string' },
      expires: { type: 'string', default: '12h' },
    },
  });
  const roles = (values.role ?? []).flatMap((r) => r.split(','));
  const unknown = roles.filter((r) => !(Roles as readonly string[]).includes(r));
  if (unknown.length) {
    console.error(`unknown role ${unknown.join(', ')}; roles: ${Roles.join(', ')}`);
    process.exit(2);
  }
  const token = await mintToken(env().AUTH_JWT_SECRET, {
    sub: values.sub!,
    roles: roles as Role[],
    division: values.division,
    department: values.department,
    purpose: values.purpose,
    expiresIn: values.expires,
  });
  console.log(token);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
