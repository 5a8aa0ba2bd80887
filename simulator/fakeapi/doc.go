// Package fakeapi is the call plumbing shared by the local fakes of AWS
// services (s3fake, rdsfake). A [Service] answers a fake's aws-sdk tasks:
// it counts every call ([Service.Calls]), fails the calls matched by the
// faults a test injected ([Service.AddFault]) and runs the action's
// [Handler], which reads the task's Arguments map through an [Args].
//
// Errors are *awserr.Error named as Step Functions names them: an unknown
// action or a missing or wrong-typed argument is [ErrInvalidCall], with a
// cause that starts with "<service>:<action>: ".
package fakeapi
