import Testing
import DNALCore

/// The one number spelling of the console and the reports.
@Suite("Number format")
struct NumberFormatTests {
    @Test func paperTableUnits() {
        #expect(human(313_472_778) == "313.47M" && human(720_000) == "0.72M" && human(72_670) == "72.67K")
        #expect(human(999) == "999" && human(2_500_000_000) == "2.50G" && human(-150_000) == "-0.15M")
        #expect(grouped(1_234_567) == "1,234,567" && grouped(-12) == "-12")
    }

    @Test func fixedDecimalsAndHugeValues() {
        #expect(fixed(0.51914, 4) == "0.5191" && fixed(-0.004, 2) == "0.00" && fixed(2.5, 0) == "3")
        // a diverging loss far beyond Int's range is written, not trapped on
        #expect(fixed(9.3e18, 4) == "9.3e+18" && fixed(-1e300, 2) == "-1e+300")
        #expect(fixed(.nan, 2) == "nan" && fixed(.infinity, 1) == "inf")
    }
}
