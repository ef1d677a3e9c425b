package dev.infopro.dl4j.cli;

import picocli.CommandLine.Option;

/** Options shared by {@code train} and {@code compare}: data, network and recipe. */
class RunOptions {
    @Option(names = "--data", defaultValue = "fashion-mnist",
            description = "fashion-mnist[:DIR] | mnist:DIR | cifar10:DIR | cifar100:DIR | svhn:DIR | stl10:DIR "
                    + "(default ${DEFAULT-VALUE}: the embedded 6,000/1,000-image subset).")
    String data;

    @Option(names = "--arch", defaultValue = "resnet32", description = "resnetN, N = 6n+2 (default ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--epochs", defaultValue = "1", description = "Epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "128", description = "Mini-batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "0.1", description = "Base learning rate lr0 (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--recipe", defaultValue = "paper-cifar10",
            description = "Optimizer recipe: paper-cifar10, paper-svhn or paper-stl10 (SGD Nesterov 0.9, weight decay "
                    + "1e-4, cosine schedule; --epochs/--batch/--lr override it). Default ${DEFAULT-VALUE}.")
    String recipe;

    @Option(names = "--schedule", defaultValue = "cosine",
            description = "Learning-rate schedule per epoch: cosine (starts at lr0), paper (spec 3: warm-up, cosine, "
                    + "last epoch at lr 0; for full-length runs) or constant. Default ${DEFAULT-VALUE}.")
    String schedule;

    @Option(names = "--train-subset", defaultValue = "0", description = "Use N training images (0 = all).")
    int trainSubset;

    @Option(names = "--test-subset", defaultValue = "0", description = "Use N test images (0 = all).")
    int testSubset;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--lambdas", split = ",",
            description = "ixx1,ixy1,ixx2,ixy2 of the InfoPro lambda schedule (default: the paper's ResNet-32 values for K).")
    double[] lambdas;

    ExperimentSpec spec(Method method, int k) {
        return ExperimentSpec.builder().data(data).depth(Args.resnetDepth(arch)).method(method).k(k).epochs(epochs)
                .batch(batch).lr(lr).recipe(recipe).schedule(schedule).trainSubset(trainSubset).testSubset(testSubset).seed(seed)
                .lambdas(lambdas).build();
    }
}
