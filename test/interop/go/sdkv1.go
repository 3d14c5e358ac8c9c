// A studio tool written in Go with the AWS SDK for Go v1 (Debian's
// golang-github-aws-aws-sdk-go-dev), as test/interop/go-sdk.test.ts builds and runs it
// against `stowage serve`. It makes the calls such a tool makes and prints one line
// `RESULT <json>` per step with what the SDK returned; the test judges.
//
// Env: S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, BUCKET, BIG_FILE (a file
// the s3manager uploads in parts and downloads again).
package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/aws/aws-sdk-go/service/s3/s3manager"
)

func report(step string, fields map[string]interface{}, err error) {
	fields["step"] = step
	if err != nil {
		fields["error"] = err.Error()
		if ae, ok := err.(awserr.Error); ok {
			fields["code"] = ae.Code()
		}
	}
	line, _ := json.Marshal(fields)
	fmt.Printf("RESULT %s\n", line)
}

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

func main() {
	bucket := os.Getenv("BUCKET")
	sess := session.Must(session.NewSession(&aws.Config{
		Endpoint:         aws.String(os.Getenv("S3_ENDPOINT")),
		Region:           aws.String("us-east-1"),
		S3ForcePathStyle: aws.Bool(true),
	}))
	c := s3.New(sess)

	_, err := c.CreateBucket(&s3.CreateBucketInput{Bucket: &bucket})
	report("createBucket", map[string]interface{}{}, err)

	body := []byte("hero sprite bytes 0123456789")
	put, err := c.PutObject(&s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("sprites/héro 1.png"), Body: bytes.NewReader(body),
		ContentType: aws.String("image/png"), Metadata: map[string]*string{"Artist": aws.String("Zoë")},
	})
	r := map[string]interface{}{"md5": md5hex(body)}
	if err == nil {
		r["etag"] = aws.StringValue(put.ETag)
	}
	report("put", r, err)

	got, err := c.GetObject(&s3.GetObjectInput{
		Bucket: &bucket, Key: aws.String("sprites/héro 1.png"), Range: aws.String("bytes=5-10"),
	})
	r = map[string]interface{}{}
	if err == nil {
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		r["body"] = string(b)
		r["contentRange"] = aws.StringValue(got.ContentRange)
	}
	report("getRange", r, err)

	head, err := c.HeadObject(&s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("sprites/héro 1.png")})
	r = map[string]interface{}{}
	if err == nil {
		r["length"] = aws.Int64Value(head.ContentLength)
		r["contentType"] = aws.StringValue(head.ContentType)
		r["artist"] = aws.StringValue(head.Metadata["Artist"])
	}
	report("head", r, err)

	_, err = c.GetObject(&s3.GetObjectInput{Bucket: &bucket, Key: aws.String("sprites/missing.png")})
	report("getMissing", map[string]interface{}{}, err)

	for i := 0; i < 5; i++ {
		key := fmt.Sprintf("levels/level-%d.json", i)
		_, err = c.PutObject(&s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader([]byte(key))})
		if err != nil {
			report("putLevels", map[string]interface{}{}, err)
		}
	}
	var listed []string
	pages := 0
	err = c.ListObjectsV2Pages(&s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("levels/"), MaxKeys: aws.Int64(2)},
		func(p *s3.ListObjectsV2Output, last bool) bool {
			pages++
			for _, o := range p.Contents {
				listed = append(listed, aws.StringValue(o.Key))
			}
			return true
		})
	report("list", map[string]interface{}{"keys": listed, "pages": pages}, err)

	_, err = c.CopyObject(&s3.CopyObjectInput{
		Bucket: &bucket, Key: aws.String("sprites/hero-copy.png"),
		CopySource: aws.String(bucket + "/sprites/h%C3%A9ro%201.png"),
	})
	r = map[string]interface{}{}
	if err == nil {
		cg, gerr := c.GetObject(&s3.GetObjectInput{Bucket: &bucket, Key: aws.String("sprites/hero-copy.png")})
		if gerr == nil {
			b, _ := io.ReadAll(cg.Body)
			cg.Body.Close()
			r["md5"] = md5hex(b)
		}
		err = gerr
	}
	report("copy", r, err)

	del, err := c.DeleteObjects(&s3.DeleteObjectsInput{Bucket: &bucket, Delete: &s3.Delete{Objects: []*s3.ObjectIdentifier{
		{Key: aws.String("levels/level-0.json")}, {Key: aws.String("levels/level-1.json")},
	}}})
	r = map[string]interface{}{}
	if err == nil {
		r["deleted"] = len(del.Deleted)
		r["errors"] = len(del.Errors)
	}
	report("deleteObjects", r, err)

	req, _ := c.GetObjectRequest(&s3.GetObjectInput{Bucket: &bucket, Key: aws.String("sprites/héro 1.png")})
	url, err := req.Presign(5 * time.Minute)
	r = map[string]interface{}{}
	if err == nil {
		res, herr := http.Get(url)
		if herr == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			r["status"] = res.StatusCode
			r["md5"] = md5hex(b)
		}
		err = herr
	}
	report("presignedGet", r, err)

	big, err := os.ReadFile(os.Getenv("BIG_FILE"))
	if err != nil {
		report("readBig", map[string]interface{}{}, err)
		os.Exit(1)
	}
	up := s3manager.NewUploader(sess, func(u *s3manager.Uploader) { u.PartSize = 5 * 1024 * 1024; u.Concurrency = 3 })
	upOut, err := up.Upload(&s3manager.UploadInput{Bucket: &bucket, Key: aws.String("builds/game.pak"), Body: bytes.NewReader(big)})
	r = map[string]interface{}{}
	if err == nil {
		r["uploadId"] = upOut.UploadID
		r["etag"] = aws.StringValue(upOut.ETag)
	}
	report("managerUpload", r, err)

	buf := aws.NewWriteAtBuffer(nil)
	down := s3manager.NewDownloader(sess, func(d *s3manager.Downloader) { d.PartSize = 4 * 1024 * 1024; d.Concurrency = 3 })
	n, err := down.Download(buf, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("builds/game.pak")})
	report("managerDownload", map[string]interface{}{"bytes": n, "md5": md5hex(buf.Bytes())}, err)
}
