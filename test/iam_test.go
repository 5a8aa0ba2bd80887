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
	for name, tpl := range synth(t) {
		for id, r := range tpl["Resources"].(map[string]any) {
			r := r.(map[string]any)
			if r["Type"] != "AWS::IAM::Policy" && r["Type"] != "AWS::IAM::Role" && r["Type"] != "AWS::IAM::ManagedPolicy" {
				continue
			}
			for _, doc := range policyDocuments(r) {
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

func policyDocuments(r map[string]any) [][]cdktest.Statement {
	props := r["Properties"].(map[string]any)
	var out [][]cdktest.Statement
	if doc, ok := props["PolicyDocument"]; ok {
		out = append(out, cdktest.ResourceStatements(doc))
	}
	if pols, ok := props["Policies"].([]any); ok {
		for _, p := range pols {
			out = append(out, cdktest.ResourceStatements(p.(map[string]any)["PolicyDocument"]))
		}
	}
	return out
}

// TestSourceStack_copyRolesGetExactlyTheDestinationActions checks the
// cross-account example: the named copy roles may write into the other
// account's bucket and use its key, and nothing else there.
func TestSourceStack_copyRolesGetExactlyTheDestinationActions(t *testing.T) {
	cross, err := crossAccountContext()
	require.NoError(t, err)
	bucket := "arn:aws:s3:::" + cross["destinationBucket"].(string)
	key := cross["destinationKeyArn"].(string)
	for _, stack := range []string{"SnapshotLakeSource-111122223333", "SnapshotLakeSource-222233334444"} {
		tpl := synth(t)[stack]
		resources := tpl["Resources"].(map[string]any)
		roles := map[string]string{}
		for id, r := range resources {
			r := r.(map[string]any)
			if r["Type"] != "AWS::IAM::Role" {
				continue
			}
			if name, ok := cdktest.Resolve(r["Properties"].(map[string]any)["RoleName"]).(string); ok {
				roles[name] = id
			}
		}
		var names []string
		for n := range roles {
			names = append(names, n)
		}
		sort.Strings(names)
		require.Equal(t, []string{"snapshotlake-copy-ap-northeast-1", "snapshotlake-copy-multipart-ap-northeast-1"}, names, stack)
		var policies []map[string]any
		for _, r := range resources {
			if r.(map[string]any)["Type"] == "AWS::IAM::Policy" {
				policies = append(policies, r.(map[string]any))
			}
		}
		for name, id := range roles {
			var sts []cdktest.Statement
			for _, p := range policies {
				props := p["Properties"].(map[string]any)
				for _, ref := range props["Roles"].([]any) {
					if ref.(map[string]any)["Ref"] == id {
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
