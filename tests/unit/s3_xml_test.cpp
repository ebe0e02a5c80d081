// S3 XML documents: Error, ListBucketResult (v2), CreateBucketConfiguration.
#include <gtest/gtest.h>

#include "s3/xml.hpp"

namespace s3up::s3::xml {
namespace {

TEST(S3XmlError, ParsesCodeMessageRequestId) {
  const auto e = parse_error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
      "<Key>a/b</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>xyz</HostId></Error>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->message, "The specified key does not exist.");
  EXPECT_EQ(e->request_id, "4442587FB7D0A2F9");
  EXPECT_EQ(e->region, "");
}

TEST(S3XmlError, ParsesRegion) {
  const auto e = parse_error(
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
      "wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "AuthorizationHeaderMalformed");
  EXPECT_EQ(e->region, "eu-west-1");
}

TEST(S3XmlError, NotAnErrorDocument) {
  EXPECT_FALSE(parse_error(""));
  EXPECT_FALSE(parse_error("not xml at all"));
  EXPECT_FALSE(parse_error("<html><body>502 Bad Gateway</body></html>"));
  EXPECT_FALSE(parse_error("<ListBucketResult></ListBucketResult>"));
  EXPECT_FALSE(parse_error("<Error><Code>x</Code>"));  // truncated
}

TEST(S3XmlError, DetectsErrorDocumentIn200Body) {
  // CompleteMultipartUpload and CopyObject can answer 200 and then an error.
  EXPECT_TRUE(is_error_document(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code>"
      "<Message>We encountered an internal error. Please try again.</Message></Error>"));
  EXPECT_TRUE(is_error_document("  \r\n<Error>\n<Code>SlowDown</Code></Error>"));
  EXPECT_FALSE(
      is_error_document("<?xml version=\"1.0\"?><CompleteMultipartUploadResult><ETag>\"x\"</ETag>"
                        "</CompleteMultipartUploadResult>"));
  EXPECT_FALSE(is_error_document(""));
  EXPECT_FALSE(is_error_document("<Errors><Error><Code>x</Code></Error></Errors>"));
  EXPECT_FALSE(is_error_document("<ErrorDocument/>"));
  EXPECT_FALSE(is_error_document("<Error>broken"));
}

constexpr const char* kListPage1 = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix>photos%2F</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>3</MaxKeys>
  <EncodingType>url</EncodingType>
  <IsTruncated>true</IsTruncated>
  <ContinuationToken>abc</ContinuationToken>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>photos/a+b%2Bc%26d%3De.jpg</Key>
    <LastModified>2024-01-01T00:00:00.000Z</LastModified>
    <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>
    <Size>0</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>photos/%C3%A9t%C3%A9%20%E6%97%A5%E6%9C%AC.txt</Key>
    <ETag>"0123456789abcdef0123456789abcdef-3"</ETag>
    <Size>26214400000</Size>
  </Contents>
  <Contents>
    <Key>photos/line%0Abreak</Key>
    <ETag>"e"</ETag>
    <Size>7</Size>
  </Contents>
  <CommonPrefixes><Prefix>photos/sub+dir/</Prefix></CommonPrefixes>
  <CommonPrefixes><Prefix>photos/x%2By/</Prefix></CommonPrefixes>
</ListBucketResult>)";

TEST(S3XmlList, ParsesUrlEncodedPage) {
  auto page = parse_list_objects_v2(kListPage1);
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->objects.size(), 3u);
  EXPECT_EQ(page->objects[0].key, "photos/a b+c&d=e.jpg");
  EXPECT_EQ(page->objects[0].size, 0u);
  EXPECT_EQ(page->objects[0].etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(page->objects[1].key, "photos/\xC3\xA9t\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC.txt");
  EXPECT_EQ(page->objects[1].size, 26214400000u);
  EXPECT_EQ(page->objects[1].etag, "0123456789abcdef0123456789abcdef-3");
  EXPECT_EQ(page->objects[2].key, "photos/line\nbreak");
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"photos/sub dir/", "photos/x+y/"}));
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3XmlList, PlainKeysAreNotDecoded) {
  auto page = parse_list_objects_v2(
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<Contents><Key>a+b%20c &amp; d</Key><Size>5</Size><ETag>x</ETag></Contents>"
      "<Contents><Key> </Key><Size>1</Size></Contents>"
      "</ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "a+b%20c & d");
  EXPECT_EQ(page->objects[0].etag, "x");
  EXPECT_EQ(page->objects[1].key, " ");  // whitespace-only keys survive
  EXPECT_FALSE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "");
}

TEST(S3XmlList, EmptyBucket) {
  auto page = parse_list_objects_v2(
      "<?xml version=\"1.0\"?><ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><KeyCount>0</KeyCount>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_TRUE(page->common_prefixes.empty());
  EXPECT_FALSE(page->truncated);
}

TEST(S3XmlList, NamespacePrefixedElements) {
  auto page = parse_list_objects_v2(
      "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<s3:IsTruncated>false</s3:IsTruncated><s3:Contents><s3:Key>k</s3:Key><s3:Size>3</s3:Size>"
      "</s3:Contents></s3:ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "k");
  EXPECT_EQ(page->objects[0].size, 3u);
}

TEST(S3XmlList, Errors) {
  EXPECT_FALSE(parse_list_objects_v2("").ok());
  EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult>").ok());
  EXPECT_FALSE(parse_list_objects_v2("<Error><Code>AccessDenied</Code></Error>").ok());
  // Truncated without a token would loop forever.
  EXPECT_FALSE(
      parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
          .ok());
}

TEST(S3XmlCreateBucket, LocationConstraint) {
  EXPECT_EQ(create_bucket_configuration("us-east-1"), "");
  EXPECT_EQ(create_bucket_configuration(""), "");
  EXPECT_EQ(create_bucket_configuration("eu-west-1"),
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
}

TEST(S3XmlEscape, EscapesSpecials) {
  EXPECT_EQ(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(escape("plain"), "plain");
}

// ---- multipart ------------------------------------------------------------------------------

TEST(S3XmlMultipart, InitiateResult) {
  auto id = parse_initiate_multipart_upload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Bucket>example-bucket</Bucket>\n  <Key>example-object</Key>\n"
      "  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>\n"
      "</InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(*id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  // Swift's s3api: upload ids with '~' and '-'.
  auto swift = parse_initiate_multipart_upload(
      "<?xml version='1.0' encoding='UTF-8'?>\n<InitiateMultipartUploadResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>a b</Key>"
      "<UploadId>NDFkNmQ1YTUtMzQ3Ni00YjgzLWI3ZTAtZmQwZjZiMWY3ZWNm</UploadId>"
      "</InitiateMultipartUploadResult>");
  ASSERT_TRUE(swift.ok());
  EXPECT_EQ(*swift, "NDFkNmQ1YTUtMzQ3Ni00YjgzLWI3ZTAtZmQwZjZiMWY3ZWNm");
  EXPECT_FALSE(parse_initiate_multipart_upload("").ok());
  EXPECT_FALSE(parse_initiate_multipart_upload("<Error><Code>x</Code></Error>").ok());
  EXPECT_FALSE(
      parse_initiate_multipart_upload("<InitiateMultipartUploadResult><UploadId> </UploadId>"
                                      "</InitiateMultipartUploadResult>")
          .ok());
}

TEST(S3XmlMultipart, CompleteDocument) {
  EXPECT_EQ(complete_multipart_upload({{1, "a54357aff0632cce46d942af68356b38", ""},
                                       {2, "\"0c78aef83f66abc1fa1e8477f296d394\"", ""}}),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber>"
            "<ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber>"
            "<ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
  EXPECT_EQ(complete_multipart_upload({{1, "a", "4waSgw=="}, {2, "b", ""}}, "ChecksumCRC32C"),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag>"
            "<ChecksumCRC32C>4waSgw==</ChecksumCRC32C></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
  EXPECT_EQ(complete_multipart_upload({}),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "</CompleteMultipartUpload>");
}

TEST(S3XmlMultipart, CompleteResult) {
  auto r = parse_complete_multipart_upload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      " <Location>http://Example-Bucket.s3.region.amazonaws.com/Example-Object</Location>\n"
      " <Bucket>Example-Bucket</Bucket>\n <Key>Example-Object</Key>\n"
      " <ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>\n"
      "</CompleteMultipartUploadResult>");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->etag, "3858f62230ac3c915f300c664312c11f-9");
  auto quoted = parse_complete_multipart_upload(
      "<CompleteMultipartUploadResult><ETag>&quot;abc-3&quot;</ETag>"
      "</CompleteMultipartUploadResult>");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(quoted->etag, "abc-3");
  EXPECT_FALSE(parse_complete_multipart_upload(
                   "<Error><Code>InternalError</Code><Message>x</Message></Error>")
                   .ok());
  EXPECT_FALSE(
      parse_complete_multipart_upload("<CompleteMultipartUploadResult/>").ok());  // no ETag
}

TEST(S3XmlMultipart, ListUploadsDecodesKeysAndMarkers) {
  auto page = parse_list_multipart_uploads(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Bucket>bucket</Bucket>\n  <KeyMarker></KeyMarker>\n  <UploadIdMarker></UploadIdMarker>\n"
      "  <NextKeyMarker>my+movie%2B1%0A.m2ts</NextKeyMarker>\n"
      "  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>\n"
      "  <EncodingType>url</EncodingType>\n  <MaxUploads>3</MaxUploads>\n"
      "  <IsTruncated>true</IsTruncated>\n"
      "  <Upload>\n    <Key>my-divisor</Key>\n"
      "    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>\n"
      "    <Initiator><ID>arn:aws:iam::111122223333:user/user1</ID>"
      "<DisplayName>user1</DisplayName></Initiator>\n"
      "    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
      "<DisplayName>OwnerDisplayName</DisplayName></Owner>\n"
      "    <StorageClass>STANDARD</StorageClass>\n"
      "    <Initiated>2010-11-10T20:48:33.000Z</Initiated>\n  </Upload>\n"
      "  <Upload>\n    <Key>%E6%97%A5%E6%9C%AC/a+b%26c</Key>\n"
      "    <UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>\n"
      "    <Initiated>2010-11-10T20:48:34.000Z</Initiated>\n  </Upload>\n"
      "  <Upload>\n    <Key>my+movie%2B1%0A.m2ts</Key>\n"
      "    <UploadId>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</UploadId>\n"
      "    <Initiated>2010-11-10T20:49:33.000Z</Initiated>\n  </Upload>\n"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->uploads.size(), 3u);
  EXPECT_EQ(page->uploads[0].key, "my-divisor");
  EXPECT_EQ(page->uploads[0].upload_id, "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw");
  EXPECT_EQ(page->uploads[0].initiated, "2010-11-10T20:48:33.000Z");
  EXPECT_EQ(page->uploads[1].key, "\xE6\x97\xA5\xE6\x9C\xAC/a b&c");
  EXPECT_EQ(page->uploads[2].key, "my movie+1\n.m2ts");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_key_marker, "my movie+1\n.m2ts");
  EXPECT_EQ(page->next_upload_id_marker, "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
}

TEST(S3XmlMultipart, ListUploadsPlainAndEmpty) {
  // Without EncodingType keys are verbatim ('+' stays).
  auto page = parse_list_multipart_uploads(
      "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
      "<Upload><Key> a+b%20 </Key><UploadId>u</UploadId></Upload></ListMultipartUploadsResult>");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->uploads.size(), 1u);
  EXPECT_EQ(page->uploads[0].key, " a+b%20 ");
  EXPECT_FALSE(page->truncated);
  EXPECT_EQ(page->next_key_marker, "");
  auto empty = parse_list_multipart_uploads(
      "<?xml version='1.0' encoding='UTF-8'?>\n<ListMultipartUploadsResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><KeyMarker/>"
      "<UploadIdMarker/><NextKeyMarker/><NextUploadIdMarker/><MaxUploads>1000</MaxUploads>"
      "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->uploads.empty());
  EXPECT_FALSE(parse_list_multipart_uploads("<ListBucketResult/>").ok());
  EXPECT_FALSE(
      parse_list_multipart_uploads("<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
                                   "</ListMultipartUploadsResult>")
          .ok());  // truncated without a marker would loop
}

TEST(S3XmlMultipart, ListParts) {
  auto page = parse_list_parts(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <Bucket>example-bucket</Bucket>\n  <Key>example-object</Key>\n"
      "  <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>\n"
      "  <Initiator><ID>arn:aws:iam::111122223333:user/some-user</ID>"
      "<DisplayName>umat-user</DisplayName></Initiator>\n"
      "  <StorageClass>STANDARD</StorageClass>\n"
      "  <PartNumberMarker>1</PartNumberMarker>\n"
      "  <NextPartNumberMarker>3</NextPartNumberMarker>\n  <MaxParts>2</MaxParts>\n"
      "  <IsTruncated>true</IsTruncated>\n"
      "  <Part>\n    <PartNumber>2</PartNumber>\n"
      "    <LastModified>2010-11-10T20:48:34.000Z</LastModified>\n"
      "    <ETag>\"7778aef83f66abc1fa1e8477f296d394\"</ETag>\n    <Size>10485760</Size>\n"
      "  </Part>\n"
      "  <Part>\n    <PartNumber>3</PartNumber>\n"
      "    <LastModified>2010-11-10T20:48:33.000Z</LastModified>\n"
      "    <ETag>\"aaaa18db4cc2f85cedef654fccc4a4x8\"</ETag>\n    <Size>10485760</Size>\n"
      "  </Part>\n"
      "</ListPartsResult>");
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->parts.size(), 2u);
  EXPECT_EQ(page->parts[0].number, 2);
  EXPECT_EQ(page->parts[0].size, 10485760u);
  EXPECT_EQ(page->parts[0].etag, "7778aef83f66abc1fa1e8477f296d394");
  EXPECT_EQ(page->parts[0].last_modified, "2010-11-10T20:48:34.000Z");
  EXPECT_EQ(page->parts[1].number, 3);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_part_number_marker, 3);
}

TEST(S3XmlMultipart, ListPartsRejectsNonsense) {
  EXPECT_FALSE(parse_list_parts("<ListPartsResult><Part><PartNumber>x</PartNumber><Size>1</Size>"
                                "</Part></ListPartsResult>")
                   .ok());
  EXPECT_FALSE(parse_list_parts("<ListPartsResult><Part><PartNumber>1</PartNumber><Size>-1</Size>"
                                "</Part></ListPartsResult>")
                   .ok());
  EXPECT_FALSE(
      parse_list_parts("<ListPartsResult><IsTruncated>true</IsTruncated></ListPartsResult>").ok());
  auto empty =
      parse_list_parts("<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->parts.empty());
}

// ---- DeleteObjects (--sync) -------------------------------------------------------------------

TEST(S3XmlDelete, DocumentIsQuietAndEscapesKeys) {
  EXPECT_EQ(delete_objects({"up/a b.mp4", "up/<&>\"'.mp4", "up/caf\xC3\xA9.mp4"}),
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            "<Object><Key>up/a b.mp4</Key></Object>"
            "<Object><Key>up/&lt;&amp;&gt;&quot;&apos;.mp4</Key></Object>"
            "<Object><Key>up/caf\xC3\xA9.mp4</Key></Object></Delete>");
  // Spaces at either end stay; a carriage return is a character reference (a literal one
  // would come back as a line feed); tab and line feed pass as they are.
  EXPECT_EQ(delete_objects({" x \r\n\t"}),
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            "<Object><Key> x &#13;\n\t</Key></Object></Delete>");
  EXPECT_EQ(delete_objects({}),
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            "</Delete>");
}

TEST(S3XmlDelete, WhatXmlCanCarry) {
  EXPECT_TRUE(can_carry_in_xml("plain/key with spaces.mp4"));
  EXPECT_TRUE(can_carry_in_xml("tab\tlf\ncr\r"));
  EXPECT_TRUE(can_carry_in_xml("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x8E\xAC"));  // é € 🎬
  EXPECT_TRUE(can_carry_in_xml("del\x7F"));
  EXPECT_FALSE(can_carry_in_xml(std::string("nul\0", 4)));
  EXPECT_FALSE(can_carry_in_xml("bell\x07"));
  EXPECT_FALSE(can_carry_in_xml("esc\x1B[0m"));
  EXPECT_FALSE(can_carry_in_xml("\xFF"));          // not UTF-8
  EXPECT_FALSE(can_carry_in_xml("\xC3"));          // truncated
  EXPECT_FALSE(can_carry_in_xml("\xC0\xAF"));      // overlong
  EXPECT_FALSE(can_carry_in_xml("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(can_carry_in_xml("\xEF\xBF\xBE"));  // U+FFFE
  EXPECT_FALSE(can_carry_in_xml("\xEF\xBF\xBF"));  // U+FFFF
}

TEST(S3XmlDelete, ResultWithErrorsAndDeleted) {
  auto r = parse_delete_result(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Deleted><Key> spaced key.mp4 </Key></Deleted>"
      "<Error><Key>up/locked.mp4</Key><Code>AccessDenied</Code><Message>Access Denied</Message>"
      "</Error>"
      "<Error><Key>up/caf\xC3\xA9 &amp; co.mp4</Key><Code>InternalError</Code>"
      "<Message>We encountered an internal error.</Message></Error>"
      "</DeleteResult>");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->deleted, std::vector<std::string>{" spaced key.mp4 "});
  ASSERT_EQ(r->errors.size(), 2u);
  EXPECT_EQ(r->errors[0].key, "up/locked.mp4");
  EXPECT_EQ(r->errors[0].error.code, "AccessDenied");
  EXPECT_EQ(r->errors[0].error.message, "Access Denied");
  EXPECT_EQ(r->errors[0].error.http_status, 0);
  EXPECT_EQ(r->errors[1].key, "up/caf\xC3\xA9 & co.mp4");
  EXPECT_EQ(r->errors[1].error.code, "InternalError");
}

TEST(S3XmlDelete, QuietResultIsEmpty) {
  auto r = parse_delete_result("<DeleteResult/>");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_TRUE(r->errors.empty());
  auto ns = parse_delete_result(
      "<s3:DeleteResult xmlns:s3=\"x\"><s3:Error><s3:Key>k</s3:Key>"
      "<s3:Code>AccessDenied</s3:Code></s3:Error></s3:DeleteResult>");
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns->errors.size(), 1u);
  EXPECT_EQ(ns->errors[0].key, "k");
}

TEST(S3XmlDelete, ResultRejectsNonsense) {
  EXPECT_FALSE(parse_delete_result("").ok());
  EXPECT_FALSE(parse_delete_result("not xml").ok());
  EXPECT_FALSE(parse_delete_result("<ListBucketResult/>").ok());
  EXPECT_FALSE(
      parse_delete_result("<DeleteResult><Error><Key>k</Key></Error></DeleteResult>").ok());
}

}  // namespace
}  // namespace s3up::s3::xml
