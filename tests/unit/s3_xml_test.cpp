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

}  // namespace
}  // namespace s3up::s3::xml
