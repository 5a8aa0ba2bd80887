// Evaluates IAM requests with @cloud-copilot/iam-simulate, an independent
// implementation of AWS's policy evaluation logic (test-only; AGPL-3.0).
// stdin: a JSON array of iam-simulate Simulations; stdout: a JSON array of
// {"result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied"} or
// {"error": ...}, in order.
import { runSimulation } from '@cloud-copilot/iam-simulate'

let input = ''
for await (const chunk of process.stdin) input += chunk
const out = []
for (const sim of JSON.parse(input)) {
  const res = await runSimulation(sim, {})
  if (res.resultType === 'error') {
    out.push({ error: res.errors })
  } else {
    out.push({ result: res.overallResult })
  }
}
process.stdout.write(JSON.stringify(out))
