import multiprocessing


def action(queue, name):
    print(multiprocessing.current_process().pid, '进程放数据', name)
    queue.put(name)


if __name__ == '__main__':
    queue = multiprocessing.Queue()  # 创建进程通信的Queue
    process = multiprocessing.Process(target=action, args=(queue, 'python'))  # 创建子进程
    process.start()  # 启动子进程
    process.join()  # 子进程必须先执行完毕
    print(multiprocessing.current_process().pid, '取数据：')
    print(queue.get())
