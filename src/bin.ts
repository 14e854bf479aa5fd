console.log("hello from bin", process.argv.slice(2))
