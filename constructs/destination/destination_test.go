package destination_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/constructs/destination"
	"github.com/snapshotlake/snapshotlake/internal/cdktest"
)

func TestDestination_admitsExactlyTheSourceAccountsCopyRoles(t *testing.T) {
	// GIVEN a destination for two source accounts and an organization
	stack := cdktest.NewStack("Analytics")
	_, err := destination.New(stack, "Destination", &destination.Props{
		BucketName:     "analytics-rds-snapshots",
		SourceAccounts: []string{"111122223333", "222233334444"},
		OrganizationID: "o-a1b2c3d4e5",
		SourceRegions:  []string{"ap-northeast-1", "eu-west-1"},
	})
	require.NoError(t, err)
	tpl := cdktest.FromStack(stack)
	bucket, err := tpl.ByPath("AWS::S3::Bucket", "Destination/Bucket")
	require.NoError(t, err)
	key, err := tpl.ByPath("AWS::KMS::Key", "Destination/Key")
	require.NoError(t, err)
	policy := tpl.OfType("AWS::S3::BucketPolicy")
	require.Len(t, policy, 1)

	// THEN the bucket is versioned, owner-enforced, KMS-encrypted with its rotating key, private
	props := tpl.Props(bucket)
	assert.Equal(t, "analytics-rds-snapshots", props["BucketName"])
	assert.Equal(t, map[string]any{"Status": "Enabled"}, props["VersioningConfiguration"])
	assert.Equal(t, "BucketOwnerEnforced", cdktest.At(t, props["OwnershipControls"], "Rules", 0, "ObjectOwnership"))
	assert.Equal(t, cdktest.Arn(key), cdktest.At(t, props["BucketEncryption"], "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault", "KMSMasterKeyID"))
	assert.Equal(t, true, tpl.Props(key)["EnableKeyRotation"])

	// AND the bucket policy admits the named copy roles of the two accounts and of the organization, for the copy's actions only
	var allows []cdktest.Statement
	for _, s := range tpl.ResourcePolicyStatements(policy[0], "PolicyDocument") {
		if s.Effect == "Allow" {
			allows = append(allows, s)
		}
	}
	require.Len(t, allows, 2)
	assert.Equal(t, []string{"s3:AbortMultipartUpload", "s3:PutObject"}, allows[0].Actions)
	assert.Equal(t, []string{cdktest.Arn(bucket) + "/*"}, allows[0].Resources)
	assert.Equal(t, map[string]any{"AWS": []any{"arn:aws:iam::111122223333:root", "arn:aws:iam::222233334444:root"}}, allows[0].Principal)
	// exactly the three copy roles per region, no wildcard in the names
	roles := func(account string) []any {
		var out []any
		for _, r := range []string{"ap-northeast-1", "eu-west-1"} {
			out = append(out, "arn:aws:iam::"+account+":role/snapshotlake-copy-"+r,
				"arn:aws:iam::"+account+":role/snapshotlake-copy-table-"+r, "arn:aws:iam::"+account+":role/snapshotlake-copy-multipart-"+r)
		}
		return out
	}
	assert.Equal(t, map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": append(roles("111122223333"), roles("222233334444")...)}}, allows[0].Condition)
	assert.Equal(t, map[string]any{"AWS": "*"}, allows[1].Principal)
	assert.Equal(t, map[string]any{
		"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
		"ArnLike":      map[string]any{"aws:PrincipalArn": roles("*")},
	}, allows[1].Condition)
	// partition-aware: the role ARNs keep the partition a token (the
	// account principals' partition CDK derives from the stack's region)
	raw := fmt.Sprint(tpl.Resources[policy[0]])
	for _, a := range []string{"111122223333", "222233334444", "*"} {
		assert.NotContains(t, raw, "arn:aws:iam::"+a+":role/", a)
	}

	// AND the bus admits PutEvents from the source accounts and the organization only
	bus, err := tpl.ByPath("AWS::Events::EventBus", "Destination/EventBus")
	require.NoError(t, err)
	assert.Equal(t, "snapshotlake", tpl.Props(bus)["Name"])
	busPolicies := tpl.OfType("AWS::Events::EventBusPolicy")
	var busStatements []map[string]any
	for _, id := range busPolicies {
		busStatements = append(busStatements, tpl.Props(id)["Statement"].(map[string]any))
	}
	require.Len(t, busStatements, 2)
	for _, st := range busStatements {
		assert.Equal(t, "events:PutEvents", st["Action"])
		assert.Equal(t, cdktest.Arn(bus), st["Resource"])
	}
	assert.ElementsMatch(t, []any{
		map[string]any{"AWS": []any{"arn:aws:iam::111122223333:root", "arn:aws:iam::222233334444:root"}},
		map[string]any{"AWS": "*"},
	}, []any{busStatements[0]["Principal"], busStatements[1]["Principal"]})

	// AND the key policy admits the same principals to encrypt and decrypt through S3 only
	var keyAdmits []cdktest.Statement
	for _, s := range tpl.ResourcePolicyStatements(key, "KeyPolicy") {
		if s.Effect == "Allow" && s.Principal != nil && s.Condition != nil {
			keyAdmits = append(keyAdmits, s)
		}
	}
	require.Len(t, keyAdmits, 2)
	for _, s := range keyAdmits {
		assert.Equal(t, []string{"kms:Decrypt", "kms:GenerateDataKey"}, s.Actions)
		assert.Equal(t, "s3.ap-northeast-1.amazonaws.com", cdktest.At(t, s.Condition, "StringEquals", "kms:ViaService"))
	}
	assert.Equal(t, allows[0].Principal, keyAdmits[0].Principal)
	assert.Empty(t, tpl.OfType("AWS::Lambda::Function"))
}

func TestNew_rejectsBadPropsNamingTheValue(t *testing.T) {
	tests := []struct {
		name string
		give destination.Props
		want string
	}{
		{"nobody admitted", destination.Props{}, "set SourceAccounts or OrganizationID"},
		{"bad account", destination.Props{SourceAccounts: []string{"1111"}}, `got "1111"`},
		{"bad organization", destination.Props{OrganizationID: "org"}, `OrganizationID must be an AWS Organizations id such as o-a1b2c3d4e5, got "org"`},
		{"bad role prefix", destination.Props{SourceAccounts: []string{"111122223333"}, CopyRoleNamePrefix: "copy roles"}, `got "copy roles"`},
		{"bad region", destination.Props{SourceAccounts: []string{"111122223333"}, SourceRegions: []string{"tokyo"}}, `got "tokyo"`},
		{"default bus", destination.Props{SourceAccounts: []string{"111122223333"}, EventBusName: "default"}, `got "default"`},
		{"bad subject", destination.Props{SourceAccounts: []string{"111122223333"}, GoogleTransferSubjectID: "sa@x"}, `got "sa@x"`},
		{"prefix without subject", destination.Props{SourceAccounts: []string{"111122223333"}, GoogleTransferPrefix: "rds/"}, "need GoogleTransferSubjectID"},
		{"events without bucket name", destination.Props{SourceAccounts: []string{"111122223333"}, GoogleTransferSubjectID: "123", GoogleTransferEvents: true}, "literal BucketName"},
		// as for the sources' view of the same bucket (stacks' context checks)
		{"adjacent periods in the bucket name", destination.Props{SourceAccounts: []string{"111122223333"}, BucketName: "analytics..bucket"},
			`destination: BucketName must be an S3 bucket name without two adjacent periods, got "analytics..bucket"`},
		{"every bad prop at once", destination.Props{SourceAccounts: []string{"1111"}, OrganizationID: "org"}, "got \"1111\"\ndestination: OrganizationID"},
	}
	stack := cdktest.NewStack("Bad")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := destination.New(stack, tt.name, &tt.give)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestNew_reportsEveryBadPropAtOnce(t *testing.T) {
	// GIVEN a bad account, a bad organization and the default bus
	_, err := destination.New(cdktest.NewStack("AllBad"), "Destination", &destination.Props{
		SourceAccounts: []string{"1111"}, OrganizationID: "org", EventBusName: "default",
	})
	// THEN the one error names all three, each on its own line
	require.Error(t, err)
	assert.Equal(t, []string{
		`destination: SourceAccounts must be a 12-digit AWS account id, got "1111"`,
		`destination: OrganizationID must be an AWS Organizations id such as o-a1b2c3d4e5, got "org"`,
		`destination: EventBusName must be 1-256 letters, digits, '.', '_' or '-' and not "default", got "default"`,
	}, strings.Split(err.Error(), "\n"))
}

func TestDestination_googleTransferRoleReadsAndQueueGetsObjectCreated(t *testing.T) {
	// GIVEN a destination handing off to Storage Transfer Service, under a prefix, event-driven
	stack := cdktest.NewStack("Analytics")
	d, err := destination.New(stack, "Destination", &destination.Props{
		BucketName: "analytics-rds-snapshots", SourceAccounts: []string{"111122223333"},
		GoogleTransferSubjectID: "109876543210987654321", GoogleTransferPrefix: "rds/", GoogleTransferEvents: true,
	})
	require.NoError(t, err)
	require.NotNil(t, d.TransferRole())
	tpl := cdktest.FromStack(stack)
	role, err := tpl.ByPath("AWS::IAM::Role", "Destination/TransferRole")
	require.NoError(t, err)
	bucket, _ := tpl.ByPath("AWS::S3::Bucket", "Destination/Bucket")
	key, _ := tpl.ByPath("AWS::KMS::Key", "Destination/Key")
	queue, err := tpl.ByPath("AWS::SQS::Queue", "Destination/TransferQueue")
	require.NoError(t, err)

	// THEN the role trusts accounts.google.com for that subject only
	trust := cdktest.ResourceStatements(tpl.Props(role)["AssumeRolePolicyDocument"])
	require.Len(t, trust, 1)
	assert.Equal(t, []string{"sts:AssumeRoleWithWebIdentity"}, trust[0].Actions)
	assert.Equal(t, map[string]any{"Federated": "accounts.google.com"}, trust[0].Principal)
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"accounts.google.com:sub": "109876543210987654321"}}, trust[0].Condition)

	// AND it may list and read under the prefix, decrypt through S3, read the queue: nothing else
	sts := tpl.RoleStatements(role)
	assert.Equal(t, []string{"s3:ListBucket"}, cdktest.ActionsOn(sts, cdktest.Arn(bucket)))
	assert.Equal(t, []string{"s3:GetObject"}, cdktest.ActionsOn(sts, cdktest.Arn(bucket)+"/rds/*"))
	assert.Equal(t, []string{"kms:Decrypt"}, cdktest.ActionsOn(sts, cdktest.Arn(key)))
	assert.Equal(t, destination.GoogleTransferQueueActions(), cdktest.ActionsOn(sts, cdktest.Arn(queue)))
	assert.ElementsMatch(t, append([]string{"kms:Decrypt", "s3:GetObject", "s3:ListBucket"}, destination.GoogleTransferQueueActions()...), cdktest.AllActions(sts))
	for _, st := range sts {
		if st.Actions[0] == "s3:ListBucket" {
			assert.Equal(t, map[string]any{"StringLike": map[string]any{"s3:prefix": "rds/*"}}, st.Condition)
		}
	}

	// AND S3 may send the bucket's object-created notifications to the queue, over TLS only
	var qsts []cdktest.Statement
	for _, id := range tpl.OfType("AWS::SQS::QueuePolicy") {
		qsts = append(qsts, tpl.ResourcePolicyStatements(id, "PolicyDocument")...)
	}
	var send *cdktest.Statement
	for i, st := range qsts {
		if st.Effect == "Allow" {
			send = &qsts[i]
		} else {
			assert.Equal(t, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}, st.Condition)
		}
	}
	require.NotNil(t, send)
	assert.Equal(t, []string{"sqs:SendMessage"}, send.Actions)
	assert.Equal(t, map[string]any{"Service": "s3.amazonaws.com"}, send.Principal)
	assert.Equal(t, map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": cdktest.Account},
		"ArnLike":      map[string]any{"aws:SourceArn": "arn:aws:s3:::analytics-rds-snapshots"},
	}, send.Condition)
	notif := tpl.Props(bucket)["NotificationConfiguration"].(map[string]any)["QueueConfigurations"].([]any)[0].(map[string]any)
	assert.Equal(t, "s3:ObjectCreated:*", notif["Event"])
	assert.Equal(t, cdktest.Arn(queue), notif["Queue"])
	assert.Contains(t, fmt.Sprint(tpl.Resources[bucket]["DependsOn"]), "TransferQueuePolicy")
	assert.Empty(t, tpl.OfType("AWS::Lambda::Function"), "no notification custom resource")
}
