package demo_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/constructs/demo"
	"github.com/snapshotlake/snapshotlake/constructs/rdsexport"
	"github.com/snapshotlake/snapshotlake/constructs/s3copy"
)

// The single-account demo, like the seed: the demo cluster's snapshots are
// exported and copied into the demo's destination bucket.
func Example() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Demo"), nil)

	d, err := demo.New(stack, "DemoResources", nil)
	if err != nil {
		panic(err)
	}
	cp, err := s3copy.New(stack, "S3Copy", &s3copy.Props{
		SourceBucket: d.ExportBucket(), SourceKey: d.ExportKey(),
		DestinationBucket: d.DestinationBucket(), DestinationKey: d.DestinationKey(),
	})
	if err != nil {
		panic(err)
	}
	_, err = rdsexport.New(stack, "RdsExport", &rdsexport.Props{
		Clusters:     []awsrds.IDatabaseCluster{d.Cluster()},
		ExportBucket: d.ExportBucket(), ExportKey: d.ExportKey(),
		CopyStateMachine: cp.StateMachine(),
	})
	if err != nil {
		panic(err)
	}

	tpl := assertions.Template_FromStack(stack, nil)
	count := func(typ string) int { return len(*tpl.FindResources(jsii.String(typ), nil)) }
	fmt.Println("state machines:", count("AWS::StepFunctions::StateMachine"))
	fmt.Println("Aurora clusters:", count("AWS::RDS::DBCluster"))
	fmt.Println("Lambda functions:", count("AWS::Lambda::Function"))
	// Output:
	// state machines: 4
	// Aurora clusters: 1
	// Lambda functions: 0
}
