package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/internal/cdktest"
)

// The access matrix of the cross-account example, evaluated by an
// independent implementation of AWS's policy evaluation logic
// (@cloud-copilot/iam-simulate, test/accessmatrix/simulate.mjs) over the
// synthesized policies: identity policies of the principals, and the
// bucket policy, key policy and bus policy of the destination.

const (
	destAccount  = "444455556666"
	srcAccount   = "111122223333"
	otherAccount = "999988887777"
	region       = "ap-northeast-1"
	busArn       = "arn:aws:events:" + region + ":" + destAccount + ":event-bus/snapshotlake"
	queueArn     = "arn:aws:sqs:" + region + ":" + destAccount + ":transfer-queue"
	s3Service    = "s3." + region + ".amazonaws.com"
)

// adminPolicy is an administrator's identity policy.
var adminPolicy = map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}

type matrix struct {
	t                                  *testing.T
	dest                               cdktest.Template
	bucketArn, keyArn                  string
	bucketPolicy, keyPolicy, busPolicy map[string]any
	subst                              *strings.Replacer
}

func newMatrix(t *testing.T) *matrix {
	cross, err := crossAccountContext()
	require.NoError(t, err)
	m := &matrix{t: t, dest: cdktest.Template{Resources: resourcesOf(synth(t)["SnapshotLakeDestination"])}}
	m.bucketArn = "arn:aws:s3:::" + cross["destinationBucket"].(string)
	m.keyArn = cross["destinationKeyArn"].(string)
	bucket, err := m.dest.ByPath("AWS::S3::Bucket", "Destination/Bucket")
	require.NoError(t, err)
	key, err := m.dest.ByPath("AWS::KMS::Key", "Destination/Key")
	require.NoError(t, err)
	bus, err := m.dest.ByPath("AWS::Events::EventBus", "Destination/EventBus")
	require.NoError(t, err)
	queue, err := m.dest.ByPath("AWS::SQS::Queue", "Destination/TransferQueue")
	require.NoError(t, err)
	// What CloudFormation resolves: the resources' ARNs.
	m.subst = strings.NewReplacer(cdktest.Arn(bucket), m.bucketArn, cdktest.Arn(key), m.keyArn,
		cdktest.Arn(bus), busArn, cdktest.Arn(queue), queueArn, cdktest.Ref(bucket), cross["destinationBucket"].(string))

	for _, id := range m.dest.OfType("AWS::S3::BucketPolicy") {
		m.bucketPolicy = m.doc(m.dest.Resources[id]["Properties"].(map[string]any)["PolicyDocument"])
	}
	m.keyPolicy = m.doc(m.dest.Resources[key]["Properties"].(map[string]any)["KeyPolicy"])
	var busStatements []any
	for _, id := range m.dest.OfType("AWS::Events::EventBusPolicy") {
		busStatements = append(busStatements, m.doc(m.dest.Resources[id]["Properties"].(map[string]any)["Statement"]))
	}
	m.busPolicy = map[string]any{"Version": "2012-10-17", "Statement": busStatements}
	require.NotNil(t, m.bucketPolicy)
	return m
}

func resourcesOf(tpl map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		out[id] = r.(map[string]any)
	}
	return out
}

// doc resolves a policy document as CloudFormation would.
func (m *matrix) doc(v any) map[string]any {
	b, err := json.Marshal(cdktest.Resolve(v))
	require.NoError(m.t, err)
	var out map[string]any
	require.NoError(m.t, json.Unmarshal([]byte(m.subst.Replace(string(b))), &out))
	return out
}

// rolePolicies are the identity policies attached to a role of a template,
// resolved, merged into one document.
func (m *matrix) rolePolicies(tpl cdktest.Template, roleID string) map[string]any {
	var statements []any
	for _, id := range tpl.OfType("AWS::IAM::Policy") {
		props := tpl.Resources[id]["Properties"].(map[string]any)
		for _, r := range props["Roles"].([]any) {
			if fmt.Sprint(cdktest.Resolve(r)) == cdktest.Ref(roleID) {
				statements = append(statements, m.doc(props["PolicyDocument"])["Statement"].([]any)...)
			}
		}
	}
	require.NotEmpty(m.t, statements, roleID)
	return map[string]any{"Version": "2012-10-17", "Statement": statements}
}

type request struct {
	name      string
	principal string
	identity  map[string]any
	action    string
	resource  string
	policy    map[string]any // the resource policy
	tls       bool
	viaS3     bool
	want      string
}

// evaluate runs every request through iam-simulate.
func (m *matrix) evaluate(reqs []request) {
	var sims []any
	for _, r := range reqs {
		account := strings.Split(r.principal, ":")[4]
		// Request context AWS sets for a signed request by an IAM role.
		ctx := map[string]any{"aws:SecureTransport": fmt.Sprint(r.tls), "aws:PrincipalAccount": account, "aws:PrincipalArn": r.principal}
		if r.viaS3 {
			ctx["kms:ViaService"] = s3Service
		}
		resAccount := destAccount
		sims = append(sims, map[string]any{
			"identityPolicies":        []any{map[string]any{"name": "identity", "policy": r.identity}},
			"serviceControlPolicies":  []any{},
			"resourceControlPolicies": []any{},
			"resourcePolicy":          r.policy,
			"request": map[string]any{
				"action": r.action, "principal": r.principal,
				"resource":         map[string]any{"accountId": resAccount, "resource": r.resource},
				"contextVariables": ctx,
			},
		})
	}
	in, err := json.Marshal(sims)
	require.NoError(m.t, err)
	cmd := exec.Command("node", filepath.Join("accessmatrix", "simulate.mjs"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(m.t, err, stderr.String())
	var results []struct {
		Result string
		Error  any
	}
	require.NoError(m.t, json.Unmarshal(out, &results))
	require.Len(m.t, results, len(reqs))
	for i, r := range reqs {
		require.Nil(m.t, results[i].Error, "%s: iam-simulate refused the request", r.name)
		assert.Equal(m.t, r.want, results[i].Result, r.name)
	}
}

func TestAccessMatrix_crossAccountExample(t *testing.T) {
	m := newMatrix(t)
	src := cdktest.Template{Resources: resourcesOf(synth(t)["SnapshotLakeSource-"+srcAccount])}
	roleByName := func(tpl cdktest.Template, name string) string {
		for _, id := range tpl.OfType("AWS::IAM::Role") {
			if n, _ := cdktest.Resolve(tpl.Resources[id]["Properties"].(map[string]any)["RoleName"]).(string); n == name {
				return id
			}
		}
		t.Fatalf("no role named %s", name)
		return ""
	}
	copyName, tableName, multipartName := "snapshotlake-copy-"+region, "snapshotlake-copy-table-"+region, "snapshotlake-copy-multipart-"+region
	copyRole := m.rolePolicies(src, roleByName(src, copyName))
	tableRole := m.rolePolicies(src, roleByName(src, tableName))
	multipartRole := m.rolePolicies(src, roleByName(src, multipartName))
	transferID, err := m.dest.ByPath("AWS::IAM::Role", "Destination/TransferRole")
	require.NoError(t, err)
	transfer := m.rolePolicies(m.dest, transferID)

	arn := func(account, role string) string { return "arn:aws:iam::" + account + ":role/" + role }
	object := m.bucketArn + "/postgres/public.city/partition_datetime=20261124T030458Z/1/part-00000.gz.parquet"
	const allowed, denied, implicit = "Allowed", "ExplicitlyDenied", "ImplicitlyDenied"
	reqs := []request{
		// the copy roles write over TLS, and only write
		{"copy role writes an object", arn(srcAccount, copyName), copyRole, "s3:PutObject", object, m.bucketPolicy, true, false, allowed},
		{"table role writes an object", arn(srcAccount, tableName), tableRole, "s3:PutObject", object, m.bucketPolicy, true, false, allowed},
		{"table role encrypts through S3", arn(srcAccount, tableName), tableRole, "kms:GenerateDataKey", m.keyArn, m.keyPolicy, true, true, allowed},
		{"table role lists", arn(srcAccount, tableName), tableRole, "s3:ListBucket", m.bucketArn, m.bucketPolicy, true, false, implicit},
		{"multipart role writes an object", arn(srcAccount, multipartName), multipartRole, "s3:PutObject", object, m.bucketPolicy, true, false, allowed},
		{"multipart role aborts an upload", arn(srcAccount, multipartName), multipartRole, "s3:AbortMultipartUpload", object, m.bucketPolicy, true, false, allowed},
		{"copy role without TLS", arn(srcAccount, copyName), copyRole, "s3:PutObject", object, m.bucketPolicy, false, false, denied},
		{"copy role reads", arn(srcAccount, copyName), copyRole, "s3:GetObject", object, m.bucketPolicy, true, false, implicit},
		{"copy role deletes", arn(srcAccount, copyName), copyRole, "s3:DeleteObject", object, m.bucketPolicy, true, false, implicit},
		{"copy role lists", arn(srcAccount, copyName), copyRole, "s3:ListBucket", m.bucketArn, m.bucketPolicy, true, false, implicit},
		// the key only through S3
		{"copy role encrypts through S3", arn(srcAccount, copyName), copyRole, "kms:GenerateDataKey", m.keyArn, m.keyPolicy, true, true, allowed},
		{"multipart role decrypts through S3", arn(srcAccount, multipartName), multipartRole, "kms:Decrypt", m.keyArn, m.keyPolicy, true, true, allowed},
		{"copy role uses the key directly", arn(srcAccount, copyName), copyRole, "kms:Decrypt", m.keyArn, m.keyPolicy, true, false, implicit},
		// nobody else of a source account, nor any other account
		{"source account administrator writes", arn(srcAccount, "Administrator"), adminPolicy, "s3:PutObject", object, m.bucketPolicy, true, false, implicit},
		{"source account administrator uses the key", arn(srcAccount, "Administrator"), adminPolicy, "kms:GenerateDataKey", m.keyArn, m.keyPolicy, true, true, implicit},
		{"same-named role of an unlisted account writes", arn(otherAccount, copyName), adminPolicy, "s3:PutObject", object, m.bucketPolicy, true, false, implicit},
		{"same-named role of an unlisted account uses the key", arn(otherAccount, copyName), adminPolicy, "kms:GenerateDataKey", m.keyArn, m.keyPolicy, true, true, implicit},
		{"another role with the copy prefix writes", arn(srcAccount, "snapshotlake-copy-rogue"), adminPolicy, "s3:PutObject", object, m.bucketPolicy, true, false, implicit},
		{"another role with the copy prefix uses the key", arn(srcAccount, "snapshotlake-copy-rogue"), adminPolicy, "kms:GenerateDataKey", m.keyArn, m.keyPolicy, true, true, implicit},
		// the bus: PutEvents from the admitted accounts only
		{"source account puts an event", arn(srcAccount, "any-role"), adminPolicy, "events:PutEvents", busArn, m.busPolicy, true, false, allowed},
		{"unlisted account puts an event", arn(otherAccount, "any-role"), adminPolicy, "events:PutEvents", busArn, m.busPolicy, true, false, implicit},
		{"source account manages the bus", arn(srcAccount, "any-role"), adminPolicy, "events:PutRule", "arn:aws:events:" + region + ":" + destAccount + ":rule/snapshotlake/x", m.busPolicy, true, false, implicit},
		// the Storage Transfer role lists and reads, never writes
		{"transfer role lists", arn(destAccount, "transfer"), transfer, "s3:ListBucket", m.bucketArn, m.bucketPolicy, true, false, allowed},
		{"transfer role reads", arn(destAccount, "transfer"), transfer, "s3:GetObject", object, m.bucketPolicy, true, false, allowed},
		{"transfer role decrypts through S3", arn(destAccount, "transfer"), transfer, "kms:Decrypt", m.keyArn, m.keyPolicy, true, true, allowed},
		{"transfer role writes", arn(destAccount, "transfer"), transfer, "s3:PutObject", object, m.bucketPolicy, true, false, implicit},
		{"transfer role deletes", arn(destAccount, "transfer"), transfer, "s3:DeleteObject", object, m.bucketPolicy, true, false, implicit},
		{"transfer role reads the queue", arn(destAccount, "transfer"), transfer, "sqs:ReceiveMessage", queueArn, nil, true, false, allowed},
	}
	m.evaluate(reqs)
}
