package destination_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/constructs/destination"
)

// The analytics account admitting the copy roles of every account of an
// AWS Organization.
func Example_organization() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Analytics"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("444455556666"), Region: jsii.String("ap-northeast-1")},
	})
	if _, err := destination.New(stack, "Destination", &destination.Props{
		BucketName:     "analytics-rds-snapshots-444455556666",
		OrganizationID: "o-a1b2c3d4e5",
	}); err != nil {
		panic(err)
	}

	tpl := assertions.Template_FromStack(stack, nil)
	for _, r := range *tpl.FindResources(jsii.String("AWS::S3::BucketPolicy"), nil) {
		doc := (*r)["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
		for _, s := range doc["Statement"].([]any) {
			s := s.(map[string]any)
			if s["Effect"] == "Allow" {
				fmt.Println(s["Action"], s["Condition"])
			}
		}
	}
	// Output:
	// [s3:PutObject s3:AbortMultipartUpload] map[ArnLike:map[aws:PrincipalArn:[map[Fn::Join:[ [arn: map[Ref:AWS::Partition] :iam::*:role/snapshotlake-copy-ap-northeast-1]]] map[Fn::Join:[ [arn: map[Ref:AWS::Partition] :iam::*:role/snapshotlake-copy-table-ap-northeast-1]]] map[Fn::Join:[ [arn: map[Ref:AWS::Partition] :iam::*:role/snapshotlake-copy-multipart-ap-northeast-1]]]]] StringEquals:map[aws:PrincipalOrgID:o-a1b2c3d4e5]]
}
