// --interactive: the answers understood, and the "all" and end-of-input memories, with the
// answers coming from a string instead of the terminal.
#include "app/prompt.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace s3up::app {
namespace {

using transfer::OverwriteDecision;

transfer::LocalFile file(const std::string& display, const std::string& key = "") {
  transfer::LocalFile f;
  f.display = display;
  f.key = key.empty() ? display : key;
  return f;
}

size_t count(const std::string& s, std::string_view part) {
  size_t n = 0;
  for (size_t p = s.find(part); p != std::string::npos; p = s.find(part, p + part.size())) ++n;
  return n;
}

TEST(PromptAnswer, Words) {
  EXPECT_EQ(parse_answer("y"), Answer::kYes);
  EXPECT_EQ(parse_answer("Yes"), Answer::kYes);
  EXPECT_EQ(parse_answer("  YES \r"), Answer::kYes);
  EXPECT_EQ(parse_answer("n"), Answer::kNo);
  EXPECT_EQ(parse_answer("No"), Answer::kNo);
  EXPECT_EQ(parse_answer(""), Answer::kNo);  // the default
  EXPECT_EQ(parse_answer("   "), Answer::kNo);
  EXPECT_EQ(parse_answer("a"), Answer::kAll);
  EXPECT_EQ(parse_answer("ALL"), Answer::kAll);
  EXPECT_EQ(parse_answer("q"), Answer::kQuit);
  EXPECT_EQ(parse_answer("quit"), Answer::kQuit);
  for (const char* s : {"yy", "yep", "nope", "x", "1", "y n", "all of them", "quit!"}) {
    EXPECT_EQ(parse_answer(s), std::nullopt) << s;
  }
}

TEST(Prompt, YesAndNoAnswerOneFileEach) {
  std::istringstream in("y\nn\n\n");
  std::ostringstream err;
  OverwritePrompt p(in, err, ui::Style{});
  EXPECT_EQ(p.ask(file("a.mp4"), "exists in the bucket with different content"),
            OverwriteDecision::kOverwrite);
  EXPECT_EQ(p.ask(file("b.mp4"), "differs"), OverwriteDecision::kKeep);
  EXPECT_EQ(p.ask(file("c.mp4"), "differs"), OverwriteDecision::kKeep);  // Enter: the default
  EXPECT_EQ(count(err.str(), "Overwrite it? [y/N/a(ll)/q(uit)] "), 3u) << err.str();
  EXPECT_NE(err.str().find("⚠ a.mp4: exists in the bucket with different content\n"),
            std::string::npos)
      << err.str();
}

TEST(Prompt, AllOverwritesThisAndEveryLaterOneWithoutAsking) {
  std::istringstream in("a\nn\n");
  std::ostringstream err;
  OverwritePrompt p(in, err, ui::Style{});
  EXPECT_EQ(p.ask(file("a.mp4"), "differs"), OverwriteDecision::kOverwrite);
  EXPECT_EQ(p.ask(file("b.mp4"), "differs"), OverwriteDecision::kOverwrite);
  EXPECT_EQ(p.ask(file("c.mp4"), "differs"), OverwriteDecision::kOverwrite);
  EXPECT_EQ(count(err.str(), "Overwrite it?"), 1u) << err.str();
  std::string rest;
  std::getline(in, rest);
  EXPECT_EQ(rest, "n");  // never read
}

TEST(Prompt, QuitIsPassedOn) {
  std::istringstream in("q\n");
  std::ostringstream err;
  OverwritePrompt p(in, err, ui::Style{});
  EXPECT_EQ(p.ask(file("a.mp4"), "differs"), OverwriteDecision::kQuit);
}

TEST(Prompt, AnAnswerNotUnderstoodIsAskedAgain) {
  std::istringstream in("maybe\nyes please\ny\n");
  std::ostringstream err;
  OverwritePrompt p(in, err, ui::Style{});
  EXPECT_EQ(p.ask(file("a.mp4"), "differs"), OverwriteDecision::kOverwrite);
  EXPECT_EQ(count(err.str(), "Overwrite it?"), 3u) << err.str();
  EXPECT_EQ(count(err.str(), "Please answer y (overwrite)"), 2u) << err.str();
}

TEST(Prompt, EndOfInputKeepsThisAndEveryLaterObjectWithoutAsking) {
  std::istringstream in("");
  std::ostringstream err;
  OverwritePrompt p(in, err, ui::Style{});
  EXPECT_EQ(p.ask(file("a.mp4"), "differs"), OverwriteDecision::kKeep);
  EXPECT_EQ(p.ask(file("b.mp4"), "differs"), OverwriteDecision::kKeep);
  EXPECT_EQ(count(err.str(), "Overwrite it?"), 1u) << err.str();
  EXPECT_NE(err.str().find("no answer (the input ended)"), std::string::npos) << err.str();
}

TEST(Prompt, ShowsTheKeyWhenItDiffersAndClearsTheProgressFirst) {
  std::istringstream in("n\nn\n");
  std::ostringstream err;
  OverwritePrompt p(in, err, ui::Style{});
  int cleared = 0;
  p.set_before_ask([&] {
    ++cleared;
    err << "[cleared]";
  });
  auto decide = p.callback();
  EXPECT_EQ(decide(file("trip/a.mp4", "uploads/trip/a.mp4"), "the object's content type differs"),
            OverwriteDecision::kKeep);
  EXPECT_EQ(cleared, 1);
  EXPECT_EQ(err.str().rfind("[cleared]⚠ trip/a.mp4 (uploads/trip/a.mp4): the object's content "
                            "type differs\n",
                            0),
            0u)
      << err.str();
}

}  // namespace
}  // namespace s3up::app
