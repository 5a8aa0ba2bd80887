package test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/internal/cdktest"
)

// wildcardResourceActions are the only actions granted on Resource "*",
// each because AWS offers no resource to scope it to.
var wildcardResourceActions = map[string]string{
	"rds:DescribeExportTasks":       "DescribeExportTasks has no resource type in the RDS authorization reference",
	"logs:CreateLogDelivery":        "CloudWatch Logs vended-log delivery APIs (Step Functions logging) take no resource",
	"logs:GetLogDelivery":           "as logs:CreateLogDelivery",
	"logs:UpdateLogDelivery":        "as logs:CreateLogDelivery",
	"logs:DeleteLogDelivery":        "as logs:CreateLogDelivery",
	"logs:ListLogDeliveries":        "as logs:CreateLogDelivery",
	"logs:PutResourcePolicy":        "Step Functions logging manages the account's log resource policy, which has no ARN",
	"logs:DescribeResourcePolicies": "as logs:PutResourcePolicy",
	"logs:DescribeLogGroups":        "Step Functions logging checks the log group with a List-type call without resource",
	"xray:PutTraceSegments":         "X-Ray tracing APIs take no resource",
	"xray:PutTelemetryRecords":      "as xray:PutTraceSegments",
	"xray:GetSamplingRules":         "as xray:PutTraceSegments",
	"xray:GetSamplingTargets":       "as xray:PutTraceSegments",
}

// TestIAM_leastPrivilegeInEveryTemplate checks every identity policy of
// every synthesized stack: no "*" action, no service-wide wildcard, and
// Resource "*" only for the actions listed above.
func TestIAM_leastPrivilegeInEveryTemplate(t *testing.T) {
	// GIVEN every synthesized template
	// WHEN the Allow statements of its identity policies are read
	// THEN none allows "*" or service:*, and Resource "*" only for the listed actions
	for name, tpl := range synth(t) {
		for id := range cdktest.As[map[string]any](t, tpl, "Resources") {
			r := cdktest.As[map[string]any](t, tpl, "Resources", id)
			if r["Type"] != "AWS::IAM::Policy" && r["Type"] != "AWS::IAM::Role" && r["Type"] != "AWS::IAM::ManagedPolicy" {
				continue
			}
			for _, doc := range policyDocuments(t, r) {
				for _, s := range doc {
					if s.Effect != "Allow" {
						continue
					}
					for _, a := range s.Actions {
						assert.NotEqual(t, "*", a, "%s/%s", name, id)
						assert.False(t, strings.HasSuffix(a, ":*"), "%s/%s allows %s", name, id, a)
						for _, res := range s.Resources {
							if res == "*" {
								_, ok := wildcardResourceActions[a]
								assert.True(t, ok, "%s/%s allows %s on Resource \"*\"", name, id, a)
							}
						}
					}
				}
			}
		}
	}
}

// refOf is the logical id v refers to ({"Ref": id}), or "".
func refOf(v any) string {
	r, _ := cdktest.Path(v, "Ref")
	id, _ := r.(string)
	return id
}

func policyDocuments(t *testing.T, r map[string]any) [][]cdktest.Statement {
	t.Helper()
	props := cdktest.As[map[string]any](t, r, "Properties")
	var out [][]cdktest.Statement
	if doc, ok := props["PolicyDocument"]; ok {
		out = append(out, cdktest.ResourceStatements(doc))
	}
	if pols, ok := props["Policies"].([]any); ok {
		for i := range pols {
			out = append(out, cdktest.ResourceStatements(cdktest.At(t, pols, i, "PolicyDocument")))
		}
	}
	return out
}

// TestSourceStack_copyRolesGetExactlyTheDestinationActions checks the
// cross-account example: the named copy roles may write into the other
// account's bucket and use its key, and nothing else there.
func TestSourceStack_copyRolesGetExactlyTheDestinationActions(t *testing.T) {
	// GIVEN the cross-account example's source stacks
	cross, err := crossAccountContext()
	require.NoError(t, err)
	bucket := "arn:aws:s3:::" + cdktest.As[string](t, cross, "destinationBucket")
	key := cdktest.As[string](t, cross, "destinationKeyArn")
	for _, stack := range []string{"SnapshotLakeSource-111122223333", "SnapshotLakeSource-222233334444"} {
		tpl := synth(t)[stack]
		resources := cdktest.As[map[string]any](t, tpl, "Resources")
		// WHEN the named roles and the policies attached to them are read
		roles := map[string]string{}
		for id := range resources {
			if cdktest.At(t, resources, id, "Type") != "AWS::IAM::Role" {
				continue
			}
			roleName, _ := cdktest.Path(resources, id, "Properties", "RoleName")
			if name, ok := cdktest.Resolve(roleName).(string); ok {
				roles[name] = id
			}
		}
		var names []string
		for n := range roles {
			names = append(names, n)
		}
		sort.Strings(names)
		require.Equal(t, []string{"snapshotlake-copy-ap-northeast-1", "snapshotlake-copy-multipart-ap-northeast-1", "snapshotlake-copy-table-ap-northeast-1"}, names, stack)
		var policies []map[string]any
		for id := range resources {
			if cdktest.At(t, resources, id, "Type") == "AWS::IAM::Policy" {
				policies = append(policies, cdktest.As[map[string]any](t, resources, id, "Properties"))
			}
		}
		// THEN each copy role may write objects and use the key, nothing more
		for name, id := range roles {
			var sts []cdktest.Statement
			for _, props := range policies {
				for _, ref := range cdktest.As[[]any](t, props, "Roles") {
					if refOf(ref) == id {
						sts = append(sts, cdktest.ResourceStatements(props["PolicyDocument"])...)
					}
				}
			}
			want := []string{"s3:PutObject"}
			if strings.Contains(name, "multipart") {
				want = []string{"s3:AbortMultipartUpload", "s3:PutObject"}
			}
			assert.Equal(t, want, cdktest.ActionsOn(sts, bucket+"/*"), "%s %s on the destination objects", stack, name)
			assert.Empty(t, cdktest.ActionsOn(sts, bucket), "%s %s on the destination bucket itself", stack, name)
			assert.Equal(t, []string{"kms:Decrypt", "kms:GenerateDataKey"}, cdktest.ActionsOn(sts, key), "%s %s on the destination key", stack, name)
		}
	}
}
