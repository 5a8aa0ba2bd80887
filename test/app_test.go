// Package test holds whole-app tests: the app synthesized from context as
// `cdk synth` does, checked against golden templates and against the rules
// every template must keep.
package test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/internal/cdktest"
	"github.com/snapshotlake/snapshotlake/simulator/sim"
	"github.com/snapshotlake/snapshotlake/stacks"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata/")

// exampleContext configures both stacks: the demo, and a source account
// exporting two clusters and an instance into another account's bucket.
var exampleContext = map[string]any{
	"demo":               true,
	"sourceClusters":     "analytics-db,reporting-db",
	"sourceInstances":    "orders-db",
	"destinationBucket":  "analytics-bucket-444455556666",
	"destinationAccount": "444455556666",
	"destinationKeyArn":  "arn:aws:kms:ap-northeast-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}

// crossAccountContext is the worked example of the README: a destination
// account and two source accounts.
func crossAccountContext() (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join("..", "examples", "cross-account", "context.json"))
	if err != nil {
		return nil, err
	}
	var ctx map[string]any
	return ctx, json.Unmarshal(b, &ctx)
}

var (
	once      sync.Once
	templates map[string]map[string]any
	// nagFindings are the unsuppressed cdk-nag errors and warnings by stack.
	nagFindings = map[string][]string{}
	synthErr    error
)

// synth builds the app as main.go does, once for all tests, for both the
// example context and the cross-account example; templates by stack name.
func synth(t *testing.T) map[string]map[string]any {
	t.Helper()
	once.Do(func() {
		templates = map[string]map[string]any{}
		cross, err := crossAccountContext()
		if err != nil {
			synthErr = err
			return
		}
		for _, c := range []map[string]any{exampleContext, cross} {
			if synthErr = synthInto(templates, c); synthErr != nil {
				return
			}
		}
	})
	require.NoError(t, synthErr)
	return templates
}

func synthInto(templates map[string]map[string]any, context map[string]any) error {
	app, err := sim.Synthesize(context)
	if err != nil {
		return err
	}
	for name, tpl := range app.Templates {
		templates[name] = tpl
		nagFindings[name] = app.NagFindings[name]
	}
	for name, w := range app.Wiring {
		wirings[name] = w
	}
	return nil
}

// wirings are the typed handles of the synthesized demo and source stacks.
var wirings = map[string]sim.Wiring{}

// wiring returns the typed handles of stack (synthesized by synth).
func wiring(t *testing.T, stack string) sim.Wiring {
	t.Helper()
	synth(t)
	w, ok := wirings[stack]
	require.True(t, ok, "no wiring for stack %s", stack)
	return w
}

func TestGolden_templatesMatchTestdata(t *testing.T) {
	for name, tpl := range synth(t) {
		got, err := json.MarshalIndent(tpl, "", "  ")
		require.NoError(t, err)
		got = append(got, '\n')
		path := filepath.Join("testdata", name+".template.json")
		if *update {
			require.NoError(t, os.WriteFile(path, got, 0o600))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run `go test ./test -update` to create %s", path)
		if !bytes.Equal(want, got) {
			t.Errorf("%s differs from the synthesized template (- golden, + synthesized):\n%s\nReview the change, then run `go test ./test -update`", path, templateDiff(want, tpl))
		}
	}
}

// asSlice is v as an array, or nil.
func asSlice(v any) []any {
	a, _ := v.([]any)
	return a
}

// templateDiff is a readable diff between a golden file and a template:
// go-cmp's report of what changed, with the JSON paths that lead to it, cut
// after maxDiffLines lines.
func templateDiff(golden []byte, tpl map[string]any) string {
	const maxDiffLines = 200
	var want any
	if err := json.Unmarshal(golden, &want); err != nil {
		return fmt.Sprintf("(the golden file is not JSON: %v)", err)
	}
	var got any
	b, err := json.Marshal(tpl)
	if err == nil {
		err = json.Unmarshal(b, &got)
	}
	if err != nil {
		return fmt.Sprintf("(the template does not round-trip through JSON: %v)", err)
	}
	diff := cmp.Diff(want, got)
	if diff == "" {
		return "(same values; only the formatting differs)"
	}
	lines := strings.Split(diff, "\n")
	if len(lines) > maxDiffLines {
		diff = strings.Join(lines[:maxDiffLines], "\n") + fmt.Sprintf("\n... %d more lines", len(lines)-maxDiffLines)
	}
	return diff
}

func TestEveryTemplate_hasNoLambdaFunction(t *testing.T) {
	// GIVEN every synthesized template
	tpls := synth(t)
	require.Len(t, tpls, 5, "demo, source, destination and the two example source accounts")
	// WHEN each resource's type is read
	// THEN none is a Lambda function or a custom resource (which needs one)
	for name, tpl := range tpls {
		for id := range cdktest.As[map[string]any](t, tpl, "Resources") {
			typ := cdktest.As[string](t, tpl, "Resources", id, "Type")
			assert.NotEqual(t, "AWS::Lambda::Function", typ, "%s/%s", name, id)
			assert.False(t, strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource", "%s/%s is a custom resource (%s), which needs a Lambda", name, id, typ)
		}
	}
}

func TestEveryStateMachine_isJSONataLoggedEncryptedTracedWithTimeout(t *testing.T) {
	// GIVEN every synthesized template
	// WHEN its state machines and their log groups are read
	// THEN each is JSONata, has a timeout, is traced and logs to one encrypted log group
	for name, tpl := range synth(t) {
		resources := cdktest.As[map[string]any](t, tpl, "Resources")
		machines := 0
		for id := range resources {
			if cdktest.At(t, resources, id, "Type") != "AWS::StepFunctions::StateMachine" {
				continue
			}
			machines++
			props := cdktest.As[map[string]any](t, resources, id, "Properties")
			def := map[string]any{}
			require.NoError(t, json.Unmarshal([]byte(cdktest.As[string](t, cdktest.Resolve(props["DefinitionString"]))), &def), id)
			assert.Equal(t, "JSONata", def["QueryLanguage"], "%s/%s", name, id)
			assert.Greater(t, def["TimeoutSeconds"], 0.0, "%s/%s has a timeout", name, id)
			assert.Equal(t, map[string]any{"Enabled": true}, props["TracingConfiguration"], "%s/%s", name, id)
			require.Len(t, cdktest.As[[]any](t, props, "LoggingConfiguration", "Destinations"), 1)
			logGroup := cdktest.As[string](t, props, "LoggingConfiguration", "Destinations", 0, "CloudWatchLogsLogGroup", "LogGroupArn", "Fn::GetAtt", 0)
			assert.NotNil(t, cdktest.As[map[string]any](t, resources, logGroup, "Properties")["KmsKeyId"], "%s/%s logs to an encrypted log group", name, id)
		}
		if name == stacks.DestinationStackName {
			assert.Equal(t, 1, machines, "%s: the catalog state machine", name)
		} else {
			assert.Equal(t, 4, machines, "%s: export, copy, table copy and multipart state machines", name)
		}
	}
}

func TestBuckets_areEncryptedTLSOnlyAndPrivate(t *testing.T) {
	// GIVEN every synthesized template
	// WHEN its buckets, keys and bucket policies are read
	// THEN buckets are KMS-encrypted and private, keys rotate, policies deny plain HTTP
	for name, tpl := range synth(t) {
		resources := cdktest.As[map[string]any](t, tpl, "Resources")
		for id := range resources {
			typ := cdktest.At(t, resources, id, "Type")
			if typ != "AWS::S3::Bucket" && typ != "AWS::KMS::Key" && typ != "AWS::S3::BucketPolicy" {
				continue
			}
			props := cdktest.As[map[string]any](t, resources, id, "Properties")
			switch typ {
			case "AWS::S3::Bucket":
				assert.Equal(t, "aws:kms", cdktest.At(t, props, "BucketEncryption", "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault", "SSEAlgorithm"), "%s/%s", name, id)
				assert.Equal(t, map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
					props["PublicAccessBlockConfiguration"], "%s/%s", name, id)
			case "AWS::KMS::Key":
				assert.Equal(t, true, props["EnableKeyRotation"], "%s/%s rotates", name, id)
			case "AWS::S3::BucketPolicy":
				doc, _ := json.Marshal(props["PolicyDocument"])
				assert.Contains(t, string(doc), `"aws:SecureTransport":"false"`, "%s/%s denies plain HTTP", name, id)
			}
		}
	}
}

// TestCdkNag_noUnsuppressedFindingAndEverySuppressionScopedAndExplained
// checks the AwsSolutions checks the app applies to every stack.
func TestCdkNag_noUnsuppressedFindingAndEverySuppressionScopedAndExplained(t *testing.T) {
	// GIVEN every synthesized template, with cdk-nag's AwsSolutions pack applied
	tpls := synth(t)
	// THEN no finding is left unsuppressed
	for name := range tpls {
		assert.Empty(t, nagFindings[name], "%s: unsuppressed cdk-nag findings", name)
	}
	// AND WHEN the suppressions are read, each is on one resource, with a
	// specific reason, and IAM5 only for listed findings
	suppressions := 0
	for name, tpl := range tpls {
		if _, err := cdktest.Path(tpl, "Metadata", "cdk_nag"); err == nil {
			t.Errorf("%s: a stack-wide cdk-nag suppression", name)
		}
		for id := range cdktest.As[map[string]any](t, tpl, "Resources") {
			rules, _ := cdktest.Path(tpl, "Resources", id, "Metadata", "cdk_nag", "rules_to_suppress")
			for i := range len(asSlice(rules)) {
				rule := cdktest.As[map[string]any](t, rules, i)
				suppressions++
				reason, _ := rule["reason"].(string)
				assert.GreaterOrEqual(t, len(reason), 40, "%s/%s %v: a specific reason", name, id, rule["id"])
				if rule["id"] == "AwsSolutions-IAM5" {
					assert.NotEmpty(t, rule["applies_to"], "%s/%s: IAM5 suppressed for listed findings only", name, id)
				}
			}
		}
	}
	assert.Positive(t, suppressions)
}
