import ArgumentParser

/// `--data DIR`, for the commands that read a data set (`@OptionGroup var dataSet`).
struct DataOption: ParsableArguments {
    @Option(help: ArgumentHelp("A directory of CIFAR-10 binary batches, MNIST-family IDX files, or an image folder (train/CLASS/*, val/CLASS/*; docs/data.md) (default: the bundled Fashion-MNIST subset).", valueName: "dir"))
    var data: String?
}

/// `--weights W`, for the commands that need a network's weights (`@OptionGroup var weightsFile`).
struct WeightsOption: ParsableArguments {
    @Option(help: ArgumentHelp("The network's weights (safetensors), e.g. a search's final.safetensors or pruned.safetensors.", valueName: "file"))
    var weights: String
}

/// `--out DIR` and `--resume DIR`, for the commands that train in a run directory
/// (`@OptionGroup var runDirectory`).
struct RunDirectoryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The run directory (default: runs/NETWORK-[train-]YYYYMMDD-HHMMSS).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Continue the run in this directory from its last checkpoint, with the settings in its config.json.", valueName: "run-dir"))
    var resume: String?

    @Flag(help: "Print only the final summary: no header, epoch lines or progress (errors still go to standard error).")
    var quiet = false
}

/// `--batch` and `--seed` of a training recipe (`@OptionGroup var recipe`); unset, the network
/// file's `search:` section or dnalc's defaults decide.
struct RecipeOptions: ParsableArguments {
    @Option(help: "Images per training step.")
    var batch: Int?

    @Option(help: "Random seed (initialisation, shuffling, augmentation).")
    var seed: Int?
}
