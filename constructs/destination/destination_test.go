package destination_test

import (
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
	assert.Equal(t, map[string]any{"ArnLike": map[string]any{"aws:PrincipalArn": []any{
		"arn:aws:iam::111122223333:role/snapshotlake-copy-*", "arn:aws:iam::222233334444:role/snapshotlake-copy-*",
	}}}, allows[0].Condition)
	assert.Equal(t, map[string]any{"AWS": "*"}, allows[1].Principal)
	assert.Equal(t, map[string]any{
		"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
		"ArnLike":      map[string]any{"aws:PrincipalArn": "arn:aws:iam::*:role/snapshotlake-copy-*"},
	}, allows[1].Condition)

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
