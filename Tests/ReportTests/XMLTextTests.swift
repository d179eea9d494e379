import Testing

@testable import Report

@Suite struct XMLTextTests {
    @Test func escapesMarkupCharacters() {
        #expect(XMLText.escape("B<cells> & \"T\" 'x'") == "B&lt;cells&gt; &amp; &quot;T&quot; &#39;x&#39;")
        #expect(XMLText.escape("NEUTROPHIL") == "NEUTROPHIL")
    }

    @Test func replacesCharactersXMLForbids() throws {
        let escaped = XMLText.escape("a\u{1}b\u{0}c\td")
        #expect(escaped == "a\u{FFFD}b\u{FFFD}c\td")
        _ = try parseXML("<t>" + escaped + "</t>")
    }

    @Test func truncatesWithEllipsis() {
        #expect(XMLText.truncate("NEUTROPHIL", maxCharacters: 20) == "NEUTROPHIL")
        let cut = XMLText.truncate("POLYMORPHONUCLEAR LEUKOCYTE", maxCharacters: 10)
        #expect(cut == "POLYMORPH…")
        #expect(cut.count == 10)
        #expect(XMLText.truncate("two\nlines", maxCharacters: 20) == "two lines")
        #expect(XMLText.truncate("🧫🧫🧫🧫", maxCharacters: 3) == "🧫🧫…")
    }
}
