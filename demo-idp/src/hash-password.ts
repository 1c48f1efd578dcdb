import { hashPassword } from './password.js';

// Usage: node dist/hash-password.js <password>  -> prints a hash for users.json.
const password = process.argv[2];
if (!password) {
  process.stderr.write('usage: hash-password <password>\n');
  process.exit(2);
}
process.stdout.write(`${await hashPassword(password)}\n`);
