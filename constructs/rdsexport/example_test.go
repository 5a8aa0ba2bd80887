package rdsexport_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/constructs/destination"
	"github.com/snapshotlake/snapshotlake/constructs/rdsexport"
	"github.com/snapshotlake/snapshotlake/constructs/s3copy"
)

// A source account exporting two clusters and an instance into the
// analytics account's bucket, imported by name, account and key ARN.
func Example_sourceAccount() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Source"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111122223333"), Region: jsii.String("ap-northeast-1")},
	})
	exportKey := awskms.NewKey(stack, jsii.String("ExportKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	exportBucket := awss3.NewBucket(stack, jsii.String("ExportBucket"), &awss3.BucketProps{
		EncryptionKey: exportKey, EnforceSSL: jsii.Bool(true), BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
	})
	analytics := awss3.Bucket_FromBucketAttributes(stack, jsii.String("Analytics"), &awss3.BucketAttributes{
		BucketName: jsii.String("analytics-rds-snapshots-444455556666"), Account: jsii.String("444455556666"),
	})
	analyticsKey := awskms.Key_FromKeyArn(stack, jsii.String("AnalyticsKey"),
		jsii.String("arn:aws:kms:ap-northeast-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"))

	cp, err := s3copy.New(stack, "S3Copy", &s3copy.Props{
		SourceBucket: exportBucket, SourceKey: exportKey,
		DestinationBucket: analytics, DestinationKey: analyticsKey,
		// the analytics account admits the copy roles by this name
		RoleNamePrefix: destination.DefaultCopyRoleNamePrefix,
	})
	if err != nil {
		panic(err)
	}
	_, err = rdsexport.New(stack, "RdsExport", &rdsexport.Props{
		ClusterIdentifiers:  []string{"analytics-db", "reporting-db"},
		InstanceIdentifiers: []string{"orders-db"},
		ExportBucket:        exportBucket, ExportKey: exportKey,
		CopyStateMachine: cp.StateMachine(),
	})
	if err != nil {
		panic(err)
	}

	tpl := assertions.Template_FromStack(stack, nil)
	for _, r := range *tpl.FindResources(jsii.String("AWS::Events::Rule"), nil) {
		pattern := (*r)["Properties"].(map[string]any)["EventPattern"].(map[string]any)
		fmt.Println("rule:", pattern["detail-type"], pattern["detail"].(map[string]any)["EventID"])
	}
	for _, r := range *tpl.FindResources(jsii.String("AWS::IAM::Role"), nil) {
		if name, ok := (*r)["Properties"].(map[string]any)["RoleName"]; ok {
			fmt.Println("named role:", name.(map[string]any)["Fn::Join"].([]any)[1].([]any)[0])
		}
	}
	// Unordered output:
	// rule: [RDS DB Cluster Snapshot Event RDS DB Snapshot Event] [RDS-EVENT-0075 RDS-EVENT-0169 RDS-EVENT-0042 RDS-EVENT-0091]
	// named role: snapshotlake-copy-
	// named role: snapshotlake-copy-table-
	// named role: snapshotlake-copy-multipart-
}
