package demo_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/constructs/demo"
	"github.com/snapshotlake/snapshotlake/internal/cdktest"
)

func TestDemoResources_matchTheSeedsDemoWithoutLambda(t *testing.T) {
	// GIVEN a stack WHEN DemoResources is added
	stack := cdktest.NewStack("Demo")
	d, err := demo.New(stack, "Demo", nil)
	require.NoError(t, err)
	require.NotNil(t, d.Cluster())
	tpl := cdktest.FromStack(stack)

	// THEN a two-AZ VPC with one NAT gateway
	assert.Len(t, tpl.OfType("AWS::EC2::NatGateway"), 1)
	assert.Len(t, tpl.OfType("AWS::EC2::Subnet"), 4)
	// AND an encrypted Aurora PostgreSQL Serverless v2 cluster with the Data API and database postgres
	cdktest.Check(t, func() {
		tpl.T.HasResourceProperties(jsii.String("AWS::RDS::DBCluster"), &map[string]any{
			"Engine":                           "aurora-postgresql",
			"DatabaseName":                     "postgres",
			"EnableHttpEndpoint":               true,
			"StorageEncrypted":                 true,
			"ServerlessV2ScalingConfiguration": map[string]any{"MinCapacity": 0.5, "MaxCapacity": 4},
		})
		tpl.T.HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), &map[string]any{"DBInstanceClass": "db.serverless"})
	})
	// AND both buckets are KMS-encrypted with their own rotating key, TLS-only and private
	for _, name := range []string{"Export", "Destination"} {
		bucket, err := tpl.ByPath("AWS::S3::Bucket", "Demo/"+name+"Bucket")
		require.NoError(t, err)
		key, err := tpl.ByPath("AWS::KMS::Key", "Demo/"+name+"Key")
		require.NoError(t, err)
		props := tpl.Props(bucket)
		sse := cdktest.As[map[string]any](t, props["BucketEncryption"], "ServerSideEncryptionConfiguration", 0)
		assert.Equal(t, map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": cdktest.Arn(key)}, sse["ServerSideEncryptionByDefault"], name)
		assert.Equal(t, true, tpl.Props(key)["EnableKeyRotation"], name)
		assert.Equal(t, true, cdktest.At(t, props["PublicAccessBlockConfiguration"], "RestrictPublicBuckets"), name)
		assert.Equal(t, "BucketOwnerEnforced", cdktest.At(t, props["OwnershipControls"], "Rules", 0, "ObjectOwnership"), name)
	}
	sslOnly := assertions.NewCapture(nil)
	cdktest.Check(t, func() {
		tpl.T.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), &map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Effect": "Deny", "Condition": sslOnly}),
			})},
		})
	})
	assert.Equal(t, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}, *sslOnly.AsObject())
	// AND no Lambda function (the default security group is left as EC2 makes it)
	assert.Empty(t, tpl.OfType("AWS::Lambda::Function"))
}

func TestDemoResources_rejectsBadCapacity(t *testing.T) {
	_, err := demo.New(cdktest.NewStack("Bad"), "Demo", &demo.Props{MaxCapacity: 512})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "got 512")
}

func TestDemoResources_reportsEveryBadPropAtOnce(t *testing.T) {
	// GIVEN a capacity too large and a removal policy the buckets cannot take
	_, err := demo.New(cdktest.NewStack("AllBad"), "Demo", &demo.Props{MaxCapacity: 512, RemovalPolicy: awscdk.RemovalPolicy_SNAPSHOT})
	// THEN the one error names both, each on its own line
	require.Error(t, err)
	assert.Equal(t, []string{
		"demo: MaxCapacity must be between 1 and 256 ACUs, got 512",
		`demo: RemovalPolicy must be DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE, got "SNAPSHOT"`,
	}, strings.Split(err.Error(), "\n"))
}

func TestStatements_splitTheSeedsSQLForTheDataAPI(t *testing.T) {
	got := demo.Statements(demo.SQL())
	require.Len(t, got, 6)
	for i, prefix := range []string{
		"CREATE TABLE city", "CREATE TABLE country", "CREATE TABLE countrylanguage",
		"INSERT INTO city", "INSERT INTO country ", "INSERT INTO countrylanguage",
	} {
		assert.True(t, strings.HasPrefix(got[i], prefix), "statement %d: %.40q", i, got[i])
		assert.True(t, strings.HasSuffix(got[i], ";"), "statement %d ends with ;", i)
	}
	assert.Contains(t, got[1], "CONSTRAINT country_continent_check", "the CHECK constraint stays with its table")
	assert.Equal(t, 5, strings.Count(got[3], "\n("), "city has five rows")
}
