#include "s3/xml.hpp"

#include <pugixml.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/strings.hpp"

namespace s3up::s3::xml {
namespace {

// Element name without a namespace prefix ("s3:Key" -> "Key").
std::string_view local_name(const pugi::xml_node& n) {
  std::string_view name = n.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view name) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && local_name(c) == name) return c;
  }
  return {};
}

std::string child_text(const pugi::xml_node& parent, std::string_view name) {
  return child(parent, name).child_value();
}

pugi::xml_node root_element(const pugi::xml_document& doc) {
  for (pugi::xml_node c = doc.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) return c;
  }
  return {};
}

bool load(pugi::xml_document& doc, std::string_view body) {
  if (body.empty()) return false;
  const pugi::xml_parse_result r =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                      pugi::encoding_utf8);
  return static_cast<bool>(r);
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// S3's encoding-type=url is form encoding: '+' is a space ('+' itself arrives as %2B).
std::string url_decode_key(std::string_view s) {
  std::string plus_as_space(s);
  for (char& c : plus_as_space) {
    if (c == '+') c = ' ';
  }
  return uri_decode(plus_as_space);
}

// Skips leading whitespace and an XML declaration; true when the first tag is <Error>.
bool starts_with_error_tag(std::string_view body) {
  size_t i = 0;
  for (;;) {
    while (i < body.size() &&
           (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
      ++i;
    if (body.compare(i, 2, "<?") == 0) {
      const size_t end = body.find("?>", i);
      if (end == std::string_view::npos) return false;
      i = end + 2;
      continue;
    }
    break;
  }
  if (body.compare(i, 6, "<Error") != 0) return false;
  const size_t j = i + 6;
  return j < body.size() && (body[j] == '>' || body[j] == ' ' || body[j] == '\t' ||
                             body[j] == '\r' || body[j] == '\n');
}

}  // namespace

std::optional<ErrorDoc> parse_error(std::string_view body) {
  pugi::xml_document doc;
  if (!load(doc, body)) return std::nullopt;
  const pugi::xml_node root = root_element(doc);
  if (!root || local_name(root) != "Error") return std::nullopt;
  ErrorDoc e;
  e.code = trim(child_text(root, "Code"));
  e.message = trim(child_text(root, "Message"));
  e.request_id = trim(child_text(root, "RequestId"));
  e.region = trim(child_text(root, "Region"));
  return e;
}

bool is_error_document(std::string_view body) {
  // Cheap test first: success bodies (ListBucketResult, object data) are not parsed twice.
  return starts_with_error_tag(body) && parse_error(body).has_value();
}

Result<ListPage> parse_list_objects_v2(std::string_view body) {
  pugi::xml_document doc;
  if (!load(doc, body)) {
    return unexpected(std::string("the server's object listing is not valid XML"));
  }
  const pugi::xml_node root = root_element(doc);
  if (!root || local_name(root) != "ListBucketResult") {
    return unexpected(std::string("the server's object listing is not a ListBucketResult"));
  }
  const bool url_encoded = trim(child_text(root, "EncodingType")) == "url";
  auto decode = [&](std::string s) { return url_encoded ? url_decode_key(s) : s; };

  ListPage page;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = local_name(c);
    if (name == "Contents") {
      ListedObject o;
      // Keys are taken verbatim (not trimmed): spaces at either end are legal in keys.
      o.key = decode(child_text(c, "Key"));
      const std::string size = trim(child_text(c, "Size"));
      o.size = size.empty() ? 0 : std::strtoull(size.c_str(), nullptr, 10);
      o.etag = unquote(trim(child_text(c, "ETag")));
      page.objects.push_back(std::move(o));
    } else if (name == "CommonPrefixes") {
      page.common_prefixes.push_back(decode(child_text(c, "Prefix")));
    }
  }
  page.truncated = trim(child_text(root, "IsTruncated")) == "true";
  page.next_continuation_token = child_text(root, "NextContinuationToken");
  if (!page.truncated) page.next_continuation_token.clear();
  if (page.truncated && page.next_continuation_token.empty()) {
    return unexpected(
        std::string("the server's object listing is truncated but has no continuation token"));
  }
  return page;
}

namespace {

// Loads `body` and checks the root element's name. Error: one sentence.
Result<pugi::xml_node> root_named(pugi::xml_document& doc, std::string_view body,
                                  std::string_view name, const std::string& what) {
  if (!load(doc, body)) return unexpected("the server's " + what + " is not valid XML");
  const pugi::xml_node root = root_element(doc);
  if (!root || local_name(root) != name) {
    return unexpected("the server's " + what + " is not a " + std::string(name));
  }
  return root;
}

bool parse_uint(const std::string& text, uint64_t& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || text[0] == '-') return false;
  out = v;
  return true;
}

bool parse_int(const std::string& text, int& out) {
  uint64_t v = 0;
  if (!parse_uint(text, v) || v > 1'000'000'000) return false;
  out = static_cast<int>(v);
  return true;
}

}  // namespace

Result<std::string> parse_initiate_multipart_upload(std::string_view body) {
  pugi::xml_document doc;
  auto root =
      root_named(doc, body, "InitiateMultipartUploadResult", "answer to CreateMultipartUpload");
  if (!root.ok()) return unexpected(std::move(root.error()));
  std::string id = trim(child_text(*root, "UploadId"));
  if (id.empty()) {
    return unexpected(std::string("the server's answer to CreateMultipartUpload has no UploadId"));
  }
  return id;
}

std::string complete_multipart_upload(const std::vector<CompletedPart>& parts,
                                      const std::string& checksum_element) {
  std::string out = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const CompletedPart& p : parts) {
    out += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><ETag>" +
           escape("\"" + unquote(p.etag) + "\"") + "</ETag>";
    if (!checksum_element.empty() && !p.checksum_b64.empty()) {
      out += "<" + checksum_element + ">" + escape(p.checksum_b64) + "</" + checksum_element + ">";
    }
    out += "</Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

Result<PutResult> parse_complete_multipart_upload(std::string_view body) {
  pugi::xml_document doc;
  auto root =
      root_named(doc, body, "CompleteMultipartUploadResult", "answer to CompleteMultipartUpload");
  if (!root.ok()) {
    // moto (and some older S3 clones) name the root ...Response; the content is the same.
    pugi::xml_document doc2;
    auto alt = root_named(doc2, body, "CompleteMultipartUploadResponse",
                          "answer to CompleteMultipartUpload");
    if (!alt.ok()) return unexpected(std::move(root.error()));
    PutResult r;
    r.etag = unquote(trim(child_text(*alt, "ETag")));
    if (r.etag.empty()) {
      return unexpected(std::string("the server's answer to CompleteMultipartUpload has no ETag"));
    }
    return r;
  }
  PutResult r;
  r.etag = unquote(trim(child_text(*root, "ETag")));
  if (r.etag.empty()) {
    return unexpected(std::string("the server's answer to CompleteMultipartUpload has no ETag"));
  }
  return r;
}

Result<MultipartUploadsPage> parse_list_multipart_uploads(std::string_view body) {
  const std::string what = "multipart upload listing";
  pugi::xml_document doc;
  auto root = root_named(doc, body, "ListMultipartUploadsResult", what);
  if (!root.ok()) return unexpected(std::move(root.error()));
  const bool url_encoded = trim(child_text(*root, "EncodingType")) == "url";
  auto decode = [&](std::string s) { return url_encoded ? url_decode_key(s) : s; };

  MultipartUploadsPage page;
  for (pugi::xml_node c = root->first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element || local_name(c) != "Upload") continue;
    MultipartUpload u;
    u.key = decode(child_text(c, "Key"));  // verbatim: spaces at either end are legal
    u.upload_id = trim(child_text(c, "UploadId"));
    u.initiated = trim(child_text(c, "Initiated"));
    if (u.upload_id.empty())
      return unexpected("the server's " + what + " has an upload without id");
    page.uploads.push_back(std::move(u));
  }
  page.truncated = trim(child_text(*root, "IsTruncated")) == "true";
  if (page.truncated) {
    page.next_key_marker = decode(child_text(*root, "NextKeyMarker"));
    page.next_upload_id_marker = trim(child_text(*root, "NextUploadIdMarker"));
    if (page.next_key_marker.empty()) {
      return unexpected("the server's " + what + " is truncated but has no NextKeyMarker");
    }
  }
  return page;
}

Result<PartsPage> parse_list_parts(std::string_view body) {
  const std::string what = "part listing";
  pugi::xml_document doc;
  auto root = root_named(doc, body, "ListPartsResult", what);
  if (!root.ok()) return unexpected(std::move(root.error()));
  PartsPage page;
  for (pugi::xml_node c = root->first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element || local_name(c) != "Part") continue;
    PartInfo p;
    if (!parse_int(trim(child_text(c, "PartNumber")), p.number) || p.number < 1) {
      return unexpected("the server's " + what + " has a part without a valid number");
    }
    if (!parse_uint(trim(child_text(c, "Size")), p.size)) {
      return unexpected("the server's " + what + " has a part without a valid size");
    }
    p.etag = unquote(trim(child_text(c, "ETag")));
    p.last_modified = trim(child_text(c, "LastModified"));
    page.parts.push_back(std::move(p));
  }
  page.truncated = trim(child_text(*root, "IsTruncated")) == "true";
  if (page.truncated) {
    if (!parse_int(trim(child_text(*root, "NextPartNumberMarker")), page.next_part_number_marker) ||
        page.next_part_number_marker < 1) {
      return unexpected("the server's " + what + " is truncated but has no NextPartNumberMarker");
    }
  }
  return page;
}

std::string delete_objects(const std::vector<std::string>& keys) {
  std::string out = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
  for (const std::string& key : keys) {
    out += "<Object><Key>";
    for (char c : escape(key)) {
      if (c == '\r') {
        out += "&#13;";  // a literal CR would be read back as a line feed
      } else {
        out.push_back(c);
      }
    }
    out += "</Key></Object>";
  }
  out += "</Delete>";
  return out;
}

bool can_carry_in_xml(std::string_view text) {
  // XML 1.0 characters: no control characters but tab, newline and carriage return, and
  // neither U+FFFE nor U+FFFF.
  return for_each_code_point(text, [](uint32_t cp) {
    return (cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r') && cp != 0xFFFE && cp != 0xFFFF;
  });
}

Result<DeleteResultDoc> parse_delete_result(std::string_view body) {
  const std::string what = "answer to DeleteObjects";
  pugi::xml_document doc;
  auto root = root_named(doc, body, "DeleteResult", what);
  if (!root.ok()) return unexpected(std::move(root.error()));
  DeleteResultDoc out;
  for (pugi::xml_node c = root->first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = local_name(c);
    if (name == "Deleted") {
      out.deleted.push_back(child_text(c, "Key"));  // verbatim: spaces at either end are legal
    } else if (name == "Error") {
      DeleteFailure f;
      f.key = child_text(c, "Key");
      f.error.code = trim(child_text(c, "Code"));
      f.error.message = trim(child_text(c, "Message"));
      if (f.error.code.empty() && f.error.message.empty()) {
        return unexpected("the server's " + what + " has an error entry without a code");
      }
      out.errors.push_back(std::move(f));
    }
  }
  return out;
}

std::string create_bucket_configuration(const std::string& region) {
  if (region.empty() || region == "us-east-1") return {};
  return "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
         "<LocationConstraint>" +
         escape(region) + "</LocationConstraint></CreateBucketConfiguration>";
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace s3up::s3::xml
