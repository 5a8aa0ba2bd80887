package test

// AWS's own validators, offline, on every synthesized template:
//
//   - @aws/cloudformation-validate (AWS's offline CloudFormation validator:
//     resource schemas, cfn-lint rules, Step Functions rules): no error;
//   - cfn-guard with the Control Tower proactive controls that
//     @cdklabs/cdk-validator-cfnguard ships, for the services the stacks use:
//     no failure outside guardExceptions, and no stale exception;
//   - asl-validator on every state machine definition, resolved to JSON;
//   - amazon-states-language-service (the validation of AWS's Step Functions
//     editor tooling) on the same definitions: no diagnostic outside
//     aslServiceExceptions, and no stale exception.
//
// Each validator runs once, on all templates, in one process (Node scripts in
// validate/). The tools come from node_modules (package.json pins them; `npm
// ci`, which `make test` runs, installs them).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/internal/cdktest"
)

// guardRuleDir is where @cdklabs/cdk-validator-cfnguard keeps its rule set
// (AWS Control Tower proactive controls), relative to the package.
const guardRuleDir = "rules/control-tower/cfn-guard"

// guardServices are the resource type prefixes of the services the stacks
// use. Every rule file of the rule set that reports on one of them must be in
// guardRuleFiles: a rule set update adding one fails
// TestTemplates_passCfnGuardControlTowerRules until it is listed. The rule
// set has no control for SNS or EventBridge (AWS::Events::*).
var guardServices = []string{
	"AWS::S3::", "AWS::KMS::", "AWS::IAM::", "AWS::StepFunctions::",
	"AWS::SNS::", "AWS::Events::", "AWS::SQS::", "AWS::Logs::", "AWS::CloudWatch::",
}

// guardRuleFiles are the rule files run, relative to guardRuleDir: every
// control of the rule set on S3, KMS, IAM, Step Functions, SQS, CloudWatch Logs
// and CloudWatch alarms (which the monitoring construct may create).
var guardRuleFiles = []string{
	"s3/ct-s3-pr-1.guard",                           // CT.S3.PR.1  bucket-level Block Public Access
	"s3/ct-s3-pr-2.guard",                           // CT.S3.PR.2  server access logging
	"s3/ct-s3-pr-3.guard",                           // CT.S3.PR.3  versioned buckets have a lifecycle policy
	"s3/ct-s3-pr-4.guard",                           // CT.S3.PR.4  event notifications
	"s3/ct-s3-pr-5.guard",                           // CT.S3.PR.5  no ACLs (BucketOwnerEnforced)
	"s3/ct-s3-pr-6.guard",                           // CT.S3.PR.6  lifecycle policy
	"s3/ct-s3-pr-8.guard",                           // CT.S3.PR.8  bucket policy denies non-TLS requests
	"s3/ct-s3-pr-9.guard",                           // CT.S3.PR.9  Object Lock
	"s3/ct-s3-pr-10.guard",                          // CT.S3.PR.10 default encryption with KMS
	"s3/ct-s3-pr-11.guard",                          // CT.S3.PR.11 versioning
	"s3/ct-s3-pr-12.guard",                          // CT.S3.PR.12 access point Block Public Access
	"keymanagementservice/ct-kms-pr-1.guard",        // CT.KMS.PR.1 key rotation
	"keymanagementservice/ct-kms-pr-2.guard",        // CT.KMS.PR.2 RSA key length
	"keymanagementservice/ct-kms-pr-3.guard",        // CT.KMS.PR.3 key policy limits CreateGrant to AWS services
	"identityandaccessmanagement/ct-iam-pr-1.guard", // CT.IAM.PR.1 inline policies: no "*" action on "*"
	"identityandaccessmanagement/ct-iam-pr-2.guard", // CT.IAM.PR.2 managed policies: no "*" action on "*"
	"identityandaccessmanagement/ct-iam-pr-3.guard", // CT.IAM.PR.3 managed policies: no service:* actions
	"identityandaccessmanagement/ct-iam-pr-4.guard", // CT.IAM.PR.4 no policy attached to IAM users
	"identityandaccessmanagement/ct-iam-pr-5.guard", // CT.IAM.PR.5 inline policies: no service:* actions
	"stepfunctions/ct-stepfunctions-pr-1.guard",     // CT.STEPFUNCTIONS.PR.1 logging
	"stepfunctions/ct-stepfunctions-pr-2.guard",     // CT.STEPFUNCTIONS.PR.2 X-Ray tracing
	"sqs/ct-sqs-pr-1.guard",                         // CT.SQS.PR.1 dead-letter queue
	"sqs/ct-sqs-pr-2.guard",                         // CT.SQS.PR.2 encryption at rest
	"cloudwatch/ct-cloudwatch-pr-1.guard",           // CT.CLOUDWATCH.PR.1 alarm has an alarm action
	"cloudwatch/ct-cloudwatch-pr-2.guard",           // CT.CLOUDWATCH.PR.2 log group retained at least a year
	"cloudwatch/ct-cloudwatch-pr-3.guard",           // CT.CLOUDWATCH.PR.3 log group encrypted with KMS
	"cloudwatch/ct-cloudwatch-pr-4.guard",           // CT.CLOUDWATCH.PR.4 alarm actions enabled
}

// guardException is a control the templates knowingly fail.
type guardException struct {
	control string
	// resources that fail it: construct paths without the stack name and the
	// trailing "/Resource" (as in every stack that has them).
	resources []string
	reason    string
}

// guardExceptions by cfn-guard rule name. The test fails on a failure not
// listed here, and on a listed resource that no longer fails the rule (remove
// it).
var guardExceptions = map[string]guardException{
	"s3_bucket_logging_enabled_check": {
		control:   "CT.S3.PR.2",
		resources: []string{"ExportBucket", "DemoResources/ExportBucket", "DemoResources/DestinationBucket", "Destination/Bucket"},
		reason: "Where S3 access logs go is an organisation-wide choice: a central log bucket per account and " +
			"region, or CloudTrail S3 data events; the README's operations section says how to add either. The " +
			"same decision is recorded as the cdk-nag AwsSolutions-S1 suppression on each bucket.",
	},
	"s3_bucket_versioning_enabled_check": {
		control:   "CT.S3.PR.11",
		resources: []string{"ExportBucket", "DemoResources/ExportBucket"},
		reason: "The export (staging) bucket only holds RDS export output for a few days (lifecycle expiry): " +
			"the snapshot is the source of truth and an export can be run again, so versions would only " +
			"keep deleted staging objects and their cost. The destination bucket is versioned.",
	},
	"s3_event_notifications_enabled_check": {
		control: "CT.S3.PR.4",
		// Destination/Bucket notifies the Storage Transfer queue in the cross-account example.
		resources: []string{"ExportBucket", "DemoResources/ExportBucket", "DemoResources/DestinationBucket"},
		reason: "Nothing consumes object events: the pipeline is driven by the RDS snapshot event and Step " +
			"Functions; a notification configuration without a consumer adds nothing.",
	},
	"s3_bucket_object_lock_enabled_check": {
		control:   "CT.S3.PR.9",
		resources: []string{"ExportBucket", "DemoResources/ExportBucket", "DemoResources/DestinationBucket", "Destination/Bucket"},
		reason: "Object Lock (WORM) keeps every object version for its retention period: it defeats the " +
			"staging bucket's expiry after a few days and the demo's clean-up; making the analytics data " +
			"immutable is a retention decision of the destination account, not a default of this app.",
	},
	"sqs_dlq_check": {
		control:   "CT.SQS.PR.1",
		resources: []string{"RdsExport/DeadLetterQueue"},
		reason: "The queue is itself the dead-letter queue of the EventBridge rule's target; a dead-letter " +
			"queue of a dead-letter queue has no use. The control only recognises SQS-to-SQS dead-letter " +
			"queues (RedriveAllowPolicy allowAll/byQueue), not EventBridge's DeadLetterConfig.",
	},
}

// TestTemplates_passCloudFormationValidate runs AWS's offline CloudFormation
// validator on every template.
func TestTemplates_passCloudFormationValidate(t *testing.T) {
	t.Parallel() // each validator is a process of its own; synth runs once for all
	// GIVEN every synthesized template, written as JSON
	files, tpls := templateFiles(t)
	module := npmPackageDir(t, "@aws/cloudformation-validate")

	// WHEN @aws/cloudformation-validate checks them all in one Node process
	args := []string{filepath.Join("validate", "cfn-validate.js"), module}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		args = append(args, files[name])
	}
	out := runNodeScript(t, args...)
	var reports []struct {
		File        string
		Status      string
		Version     string
		Diagnostics []struct {
			RuleID          string `json:"ruleId"`
			Severity        string
			Message         string
			LogicalID       string `json:"logicalId"`
			EntityType      string
			ResourceType    string
			PropertyPath    string
			Line            int
			RuleDescription string
		}
	}
	require.NoError(t, json.Unmarshal(out, &reports), "output of cfn-validate.js:\n%s", out)

	// THEN each template is analysed in full with no ERROR or FATAL
	// diagnostic; warnings are logged
	require.Len(t, reports, len(files), "one report per template")
	stackOf := map[string]string{}
	for name, f := range files {
		stackOf[f] = name
	}
	for _, r := range reports {
		stack := stackOf[r.File]
		if r.Status != "OK" {
			t.Errorf("%s: cloudformation-validate %s could not analyse the whole template: status %s", stack, r.Version, r.Status)
		}
		info := 0
		for _, d := range r.Diagnostics {
			where := stack
			switch {
			case d.EntityType == "Resource":
				where = fmt.Sprintf("%s/%s (%s, %s)", stack, d.LogicalID, constructPath(tpls[stack], d.LogicalID), d.ResourceType)
			case d.LogicalID != "":
				where = fmt.Sprintf("%s/%s (%s)", stack, d.LogicalID, d.EntityType)
			}
			msg := fmt.Sprintf("%s: %s [%s] %s — %s; at %s, line %d", where, d.RuleID, d.Severity, d.Message, d.RuleDescription, d.PropertyPath, d.Line)
			switch d.Severity {
			case "ERROR", "FATAL":
				t.Error(msg)
			case "WARN":
				t.Log(msg)
			default:
				info++
			}
		}
		t.Logf("%s: cloudformation-validate %s, status %s, %d diagnostics (%d INFO or lower, not shown)", stack, r.Version, r.Status, len(r.Diagnostics), info)
	}
}

// TestTemplates_passCfnGuardControlTowerRules runs cfn-guard with AWS Control
// Tower's proactive controls on every template.
func TestTemplates_passCfnGuardControlTowerRules(t *testing.T) {
	t.Parallel() // each validator is a process of its own; synth runs once for all
	// GIVEN every synthesized template, written as JSON, and the rule files of
	// the services the stacks use, each naming its rule
	files, tpls := templateFiles(t)
	guard := cfnGuardBinary(t)
	rulesDir := filepath.Join(npmPackageDir(t, "@cdklabs/cdk-validator-cfnguard"), filepath.FromSlash(guardRuleDir))
	ruleNames := guardRuleNames(t, rulesDir)

	// WHEN cfn-guard validates all templates against all rule files at once
	args := []string{"validate", "--output-format", "json", "--show-summary", "none", "--structured"}
	for _, f := range guardRuleFiles {
		args = append(args, "--rules", filepath.Join(rulesDir, f))
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		args = append(args, "--data", files[name])
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(guard, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// cfn-guard exits 19 when a rule fails (and still prints the report), 5
	// on an error (a rule or data file it cannot read).
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 19) {
		t.Fatalf("%s %s: %v\n%s", guard, strings.Join(args, " "), err, stderr.String())
	}
	var results []struct {
		Name          string
		Status        string
		Compliant     []string
		NotApplicable []string `json:"not_applicable"`
		NotCompliant  []any    `json:"not_compliant"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &results), "cfn-guard output:\n%.2000s\n%s", stdout.String(), stderr.String())

	// THEN every rule was evaluated on every template, and the only failures
	// are the listed exceptions, each of which still fails
	require.Len(t, results, len(files), "one result per template")
	stackOf := map[string]string{}
	for name, f := range files {
		stackOf[f] = name
	}
	seen := map[string]map[string]bool{} // rule → resource paths that failed it
	for _, res := range results {
		stack, ok := stackOf[res.Name]
		require.True(t, ok, "cfn-guard reported on %s, not one of %v", res.Name, files)
		evaluated := map[string]bool{}
		for _, n := range append(res.Compliant, res.NotApplicable...) {
			evaluated[n] = true
		}
		for _, nc := range res.NotCompliant {
			rule, message, ids := guardFailure(nc)
			evaluated[rule] = true
			if len(ids) == 0 {
				t.Errorf("%s: %s fails (%s) on no resource cfn-guard names", stack, rule, message)
				continue
			}
			for _, id := range ids {
				path := constructPath(tpls[stack], id)
				if seen[rule] == nil {
					seen[rule] = map[string]bool{}
				}
				seen[rule][path] = true
				if ex, ok := guardExceptions[rule]; ok && slices.Contains(ex.resources, path) {
					t.Logf("%s/%s (%s): %s %s fails, excepted: %s", stack, id, path, ex.control, rule, ex.reason)
					continue
				}
				t.Errorf("%s/%s (%s, %s) fails %s: %s\nFix the construct, or, if the control does not apply, add it to guardExceptions with the reason.",
					stack, id, path, resourceTypeOf(tpls[stack], id), rule, message)
			}
		}
		for _, n := range ruleNames {
			if !evaluated[n] {
				t.Errorf("%s: cfn-guard did not evaluate rule %s", stack, n)
			}
		}
	}
	for _, rule := range slices.Sorted(maps.Keys(guardExceptions)) {
		for _, path := range guardExceptions[rule].resources {
			if !seen[rule][path] {
				t.Errorf("guardExceptions[%q] lists %s, which no template fails any more (or no longer has): remove it from the exceptions", rule, path)
			}
		}
	}
}

// TestStateMachineDefinitions_passAslValidator runs asl-validator on every
// state machine definition of every template.
func TestStateMachineDefinitions_passAslValidator(t *testing.T) {
	t.Parallel() // each validator is a process of its own; synth runs once for all
	// GIVEN every state machine definition, intrinsics resolved to stand-ins
	tpls, defs, defsFile := definitionsFile(t)

	// WHEN asl-validator checks them all in one Node process
	out := runNodeScript(t, filepath.Join("validate", "asl-validate.js"), npmPackageDir(t, "asl-validator"), defsFile)
	var report struct {
		Version           string
		MultilineAccepted bool
		Results           map[string]struct {
			Valid                bool
			MultilineExpressions int
			Errors               []struct{ Code, Message, Path string }
		}
	}
	require.NoError(t, json.Unmarshal(out, &report), "output of asl-validate.js:\n%s", out)

	// THEN every definition is valid
	require.Len(t, report.Results, len(defs), "one result per definition")
	if report.MultilineAccepted {
		t.Errorf("asl-validator %s accepts multi-line JSONata: remove the line-break work-around of validate/asl-validate.js", report.Version)
	}
	multiline := 0
	for _, name := range slices.Sorted(maps.Keys(report.Results)) {
		res := report.Results[name]
		stack, id, _ := strings.Cut(name, "/")
		multiline += res.MultilineExpressions
		if res.Valid {
			continue
		}
		var lines []string
		for _, e := range res.Errors {
			msg := e.Message
			if e.Path != "" && !strings.HasPrefix(msg, e.Path) {
				msg = e.Path + ": " + msg
			}
			lines = append(lines, fmt.Sprintf("  %s %s", e.Code, msg))
		}
		t.Errorf("%s/%s (%s): asl-validator %s finds the definition invalid:\n%s", stack, id, constructPath(tpls[stack], id), report.Version, strings.Join(lines, "\n"))
	}
	t.Logf("asl-validator %s: %d definitions checked (%d multi-line JSONata expressions put on one line, which asl-validator needs)", report.Version, len(defs), multiline)
}

// aslServiceException is a kind of diagnostic amazon-states-language-service
// raises on a definition Step Functions accepts.
type aslServiceException struct {
	// matches tells whether a diagnostic is this exception.
	matches func(d aslServiceDiagnostic) bool
	// stillNeeded tells, from the service's report, whether the service
	// still raises it on a definition Step Functions accepts.
	stillNeeded func(r aslServiceReport) bool
	reason      string
}

// aslServiceExceptions: the test fails on any other diagnostic, and on an
// exception that no definition raises any more or that the service no longer
// needs (remove it).
var aslServiceExceptions = map[string]aslServiceException{
	"multi-line JSONata": {
		matches:     func(d aslServiceDiagnostic) bool { return d.MultilineOnly },
		stillNeeded: func(r aslServiceReport) bool { return !r.MultilineAccepted },
		reason: "the service's schema matches a JSONata string (Map Items, Choice Condition) with ^{%(.*)%}$, " +
			"whose \".\" does not match a line break, so it refuses a multi-line expression; Step Functions " +
			"accepts them (aws-cdk's integration tests deploy multi-line JSONata since aws/aws-cdk#35985), the " +
			"same definition with the expression on one line has no diagnostic, and asl-validator parses " +
			"every expression",
	},
}

// aslServiceReport is what validate/asl-language-service.js prints.
type aslServiceReport struct {
	Version           string
	MultilineAccepted bool
	Results           map[string][]aslServiceDiagnostic
}

type aslServiceDiagnostic struct {
	Message, Source, Code, Path string
	Severity, Line              int
	Value                       *string
	MultilineOnly               bool
}

// TestStateMachineDefinitions_passAslLanguageService runs
// amazon-states-language-service (the validation behind AWS's Step Functions
// editor tooling) on every state machine definition of every template.
func TestStateMachineDefinitions_passAslLanguageService(t *testing.T) {
	t.Parallel() // each validator is a process of its own; synth runs once for all
	// GIVEN every state machine definition, intrinsics resolved to stand-ins
	tpls, defs, defsFile := definitionsFile(t)

	// WHEN amazon-states-language-service validates them all in one Node process
	out := runNodeScript(t, filepath.Join("validate", "asl-language-service.js"), npmPackageDir(t, "amazon-states-language-service"), defsFile)
	var report aslServiceReport
	require.NoError(t, json.Unmarshal(out, &report), "output of asl-language-service.js:\n%s", out)

	// THEN no definition has a diagnostic but the listed exceptions, each of
	// which is still raised and still needed
	require.Len(t, report.Results, len(defs), "one result per definition")
	excepted := map[string]int{}
	for _, name := range slices.Sorted(maps.Keys(report.Results)) {
		stack, id, _ := strings.Cut(name, "/")
		where := fmt.Sprintf("%s/%s (%s)", stack, id, constructPath(tpls[stack], id))
	diagnostics:
		for _, d := range report.Results[name] {
			for _, ex := range slices.Sorted(maps.Keys(aslServiceExceptions)) {
				if aslServiceExceptions[ex].matches(d) {
					excepted[ex]++
					t.Logf("%s: %s, at %s: excepted (%s)", where, d.Message, d.Path, ex)
					continue diagnostics
				}
			}
			t.Errorf("%s: amazon-states-language-service %s: %s [severity %d, source %q, code %q] at %s (line %d of the indented definition)",
				where, report.Version, d.Message, d.Severity, d.Source, d.Code, d.Path, d.Line)
		}
	}
	for _, ex := range slices.Sorted(maps.Keys(aslServiceExceptions)) {
		switch {
		case !aslServiceExceptions[ex].stillNeeded(report):
			t.Errorf("amazon-states-language-service %s no longer raises what aslServiceExceptions[%q] excepts on its probe: remove the exception", report.Version, ex)
		case excepted[ex] == 0:
			t.Errorf("aslServiceExceptions[%q] is raised on no definition any more: remove it", ex)
		default:
			t.Logf("aslServiceExceptions[%q]: %d diagnostics excepted: %s", ex, excepted[ex], aslServiceExceptions[ex].reason)
		}
	}
	t.Logf("amazon-states-language-service %s: %d definitions checked", report.Version, len(defs))
}

// definitionsFile collects every state machine definition of every template,
// intrinsics resolved to stand-ins, keyed "<stack>/<logical id>", and writes
// them as one JSON object to a temporary file for the Node validators.
func definitionsFile(t *testing.T) (tpls map[string]map[string]any, defs map[string]any, file string) {
	t.Helper()
	tpls = synth(t)
	defs = map[string]any{}
	for _, stack := range slices.Sorted(maps.Keys(tpls)) {
		resources := cdktest.As[map[string]any](t, tpls[stack], "Resources")
		for _, id := range slices.Sorted(maps.Keys(resources)) {
			if cdktest.At(t, resources, id, "Type") != "AWS::StepFunctions::StateMachine" {
				continue
			}
			s, ok := cdktest.Resolve(cdktest.At(t, resources, id, "Properties", "DefinitionString")).(string)
			require.True(t, ok, "%s/%s has no DefinitionString", stack, id)
			var def map[string]any
			require.NoError(t, json.Unmarshal([]byte(s), &def), "%s/%s: definition is not JSON", stack, id)
			defs[stack+"/"+id] = def
		}
	}
	require.NotEmpty(t, defs, "no state machine in any template")
	b, err := json.Marshal(defs)
	require.NoError(t, err)
	file = filepath.Join(t.TempDir(), "definitions.json")
	require.NoError(t, os.WriteFile(file, b, 0o600))
	return tpls, defs, file
}

// templateFiles writes every synthesized template to a temporary directory,
// indented so validators' line numbers point somewhere readable; file paths
// and templates by stack name.
func templateFiles(t *testing.T) (map[string]string, map[string]map[string]any) {
	t.Helper()
	tpls := synth(t)
	require.NotEmpty(t, tpls)
	dir := t.TempDir()
	files := map[string]string{}
	for name, tpl := range tpls {
		b, err := json.MarshalIndent(tpl, "", "  ")
		require.NoError(t, err)
		path := filepath.Join(dir, name+".template.json")
		require.NoError(t, os.WriteFile(path, b, 0o600))
		files[name] = path
	}
	return files, tpls
}

// projectRoot is the module root: the tests run in test/.
func projectRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// npmPackageDir returns the directory of an installed npm package, failing the
// test when it is not installed.
func npmPackageDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(projectRoot(t), "node_modules", filepath.FromSlash(name))
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Fatalf("npm package %s is not installed in %s: run `npm ci` at the repository root (`make test` does)", name, filepath.Dir(dir))
	}
	return dir
}

// projectNode finds Node as the rest of the project does: $JSII_NODE, else
// the project's node_modules/.bin/node (Node 22), else node on PATH.
func projectNode(t *testing.T) string {
	t.Helper()
	if n := os.Getenv("JSII_NODE"); n != "" {
		p, err := exec.LookPath(n)
		require.NoError(t, err, "JSII_NODE=%s", n)
		return p
	}
	local := filepath.Join(projectRoot(t), "node_modules", ".bin", "node")
	if st, err := os.Stat(local); err == nil && !st.IsDir() {
		return local
	}
	p, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("no Node.js: %s does not exist and node is not on PATH: run `npm ci` at the repository root (`make test` does)", local)
	}
	return p
}

// runNodeScript runs a Node script and returns its standard output.
func runNodeScript(t *testing.T, args ...string) []byte {
	t.Helper()
	node := projectNode(t)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", node, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// cfnGuardBinary returns the cfn-guard binary @cdklabs/cdk-validator-cfnguard
// ships for this platform (bin/<ubuntu|macos>/<x86_64|aarch64>/cfn-guard).
func cfnGuardBinary(t *testing.T) string {
	t.Helper()
	module := npmPackageDir(t, "@cdklabs/cdk-validator-cfnguard")
	platform := map[string]string{"linux": "ubuntu", "darwin": "macos"}[runtime.GOOS]
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	if platform == "" || arch == "" {
		t.Fatalf("@cdklabs/cdk-validator-cfnguard ships cfn-guard for linux and darwin on amd64 and arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	bin := filepath.Join(module, "bin", platform, arch, "cfn-guard")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("cfn-guard not found at %s: run `npm ci` at the repository root (`make test` does)", bin)
	}
	return bin
}

var (
	guardRuleDecl   = regexp.MustCompile(`(?m)^rule\s+(\w+)\s+when\b`)
	guardReportsOn  = regexp.MustCompile(`(?s)#\s*Reports on:(.*?)#\s*Evaluates:`)
	resourceTypeRef = regexp.MustCompile(`AWS::\w+::\w+`)
)

// guardRuleNames checks guardRuleFiles against the rule set (each file
// exists, and every file reporting on one of guardServices is listed) and
// returns the rule names they declare.
func guardRuleNames(t *testing.T, rulesDir string) []string {
	t.Helper()
	listed := map[string]bool{}
	var names []string
	for _, f := range guardRuleFiles {
		listed[f] = true
		b, err := os.ReadFile(filepath.Join(rulesDir, f))
		require.NoError(t, err, "guardRuleFiles lists %s, which the installed rule set does not have", f)
		m := guardRuleDecl.FindSubmatch(b)
		require.NotNil(t, m, "%s declares no `rule <name> when` rule", f)
		names = append(names, string(m[1]))
	}
	all, err := filepath.Glob(filepath.Join(rulesDir, "*", "*.guard"))
	require.NoError(t, err)
	require.NotEmpty(t, all, "no rule file in %s: run `npm ci` at the repository root", rulesDir)
	for _, path := range all {
		rel, err := filepath.Rel(rulesDir, path)
		require.NoError(t, err)
		rel = filepath.ToSlash(rel)
		if listed[rel] {
			continue
		}
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		m := guardReportsOn.FindSubmatch(b)
		if m == nil {
			continue
		}
		for _, typ := range resourceTypeRef.FindAllString(string(m[1]), -1) {
			for _, svc := range guardServices {
				if strings.HasPrefix(typ, svc) {
					t.Errorf("rule file %s reports on %s but is not in guardRuleFiles: list it", rel, typ)
				}
			}
		}
	}
	return names
}

// guardFailure reads one not_compliant entry of cfn-guard's structured JSON
// report: the rule's name, its message (the control and the fix) and the
// logical ids of the resources its failed checks traversed to.
func guardFailure(entry any) (rule, message string, ids []string) {
	rule = "(unnamed rule)"
	if top, ok := entry.(map[string]any); ok {
		for _, v := range top {
			if r, ok := v.(map[string]any); ok {
				if n, ok := r["name"].(string); ok {
					rule = n
				}
			}
		}
	}
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				switch s, _ := e.(string); {
				case k == "path" && strings.HasPrefix(s, "/Resources/"):
					id := strings.SplitN(strings.TrimPrefix(s, "/Resources/"), "/", 2)[0]
					if !seen[id] {
						seen[id] = true
						ids = append(ids, id)
					}
				case k == "custom_message" && message == "" && s != "":
					message = strings.Join(strings.Fields(s), " ")
				default:
					walk(e)
				}
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(entry)
	sort.Strings(ids)
	return rule, message, ids
}

// constructPath returns a resource's construct path without the stack name
// and the trailing "/Resource", e.g. "RdsExport/DeadLetterQueue"; the logical
// id when the resource has no path metadata.
func constructPath(tpl map[string]any, logicalID string) string {
	v, _ := cdktest.Path(tpl, "Resources", logicalID, "Metadata", "aws:cdk:path")
	p, _ := v.(string)
	if p == "" {
		return logicalID
	}
	if _, rest, ok := strings.Cut(p, "/"); ok {
		p = rest
	}
	return strings.TrimSuffix(p, "/Resource")
}

func resourceTypeOf(tpl map[string]any, logicalID string) string {
	v, _ := cdktest.Path(tpl, "Resources", logicalID, "Type")
	typ, _ := v.(string)
	return typ
}
