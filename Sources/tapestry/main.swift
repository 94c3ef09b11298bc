import ArgumentParser
import Foundation

// Entry point. Not `@main`: the arguments are reordered first so the global options may precede the verb.
// Every failure, a parse error included, is one line on stderr of the form `could not <verb> ...: <cause>`
// and exit status 1; --help and --version go through ArgumentParser as usual.

let arguments = VirshArguments.positional(ArgumentOrder.movingGlobalOptionsAfterVerb(Array(CommandLine.arguments.dropFirst())))

/// Prints `line` on stderr and exits with status 1.
func fail(_ line: String) -> Never {
    FileHandle.standardError.write(Data((line + "\n").utf8))
    exit(1)
}

do {
    // `proxy -- VERB …` (the remote end of --connect) is not a transaction.
    if arguments.first != "proxy", let parts = TransactionRunner.segments(arguments) {
        try TransactionRunner.run(parts)
        exit(0)
    }
    var command = try Tapestry.parseAsRoot(arguments)
    try command.run()
} catch let error as CLIError {
    fail(error.message)
} catch {
    if Tapestry.exitCode(for: error) == .success { Tapestry.exit(withError: error) }  // --help, --version
    let message = Tapestry.message(for: error)
    if message.hasPrefix("could not ") { fail(message) }  // our own checks, run from validate()
    fail(ParseFailure.line(arguments: arguments, message: message))
}
