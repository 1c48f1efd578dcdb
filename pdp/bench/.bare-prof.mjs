process.on('SIGINT', () => process.exit(0));
process.argv.splice(2, 0, '--serve-bare');
await import('./http.mjs');
