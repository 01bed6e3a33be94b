/// dnalc's release, as `dnalc --version` prints it and every run's config.json records it.
public enum DNALCVersion {
    public static let string = "0.1.0"
}
