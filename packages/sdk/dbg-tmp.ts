import { createRedactor, ipv6Detector } from './src/index.js';
const r = createRedactor([ipv6Detector]);
for (const t of ['net 2001:db8:: and x', 'net 2001:db8::', '2001:db8::1']) console.log(JSON.stringify(r.redact(t)));
const re = new RegExp(ipv6Detector.pattern.source, 'y');
re.lastIndex = 8; console.log(re.exec('net 2001:db8:: and x'));
