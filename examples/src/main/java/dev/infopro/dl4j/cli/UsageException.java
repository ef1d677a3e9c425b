package dev.infopro.dl4j.cli;

/** A usage mistake found after parsing (e.g. a data directory that does not exist): exit code 2, one line. */
public class UsageException extends RuntimeException {
    /** @param message what is wrong and how to fix it, in one line */
    public UsageException(String message) {
        super(message);
    }
}
